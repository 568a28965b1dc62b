// The live Q&A of a meeting (/meetings/<id>/live/): new questions, votes, "now answering"
// and "answered" appear without reload, announced politely to screen readers. It uses the
// tab's one WebSocket (live.js) through document events: "live:event" brings what arrives,
// "live:send" sends. Without JavaScript the page works as a form; reloading shows news.

const root = document.querySelector("[data-meeting]");

if (root) {
  const meetingId = Number(root.dataset.meeting);
  const list = root.querySelector("[data-questions]");
  const announcer = root.querySelector("[data-meeting-announcer]");
  const liveStatus = root.querySelector("[data-live-status]");
  const answeringText = root.querySelector("[data-answering-text]");
  const STATUS_RANK = { answering: 0, selected: 1, open: 1, answered: 2 };

  const send = (message) => document.dispatchEvent(new CustomEvent("live:send", { detail: message }));

  function announce(text) {
    if (!announcer || !text) return;
    announcer.textContent = "";
    window.setTimeout(() => { announcer.textContent = text; }, 50);
  }

  function csrfToken() {
    return document.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "";
  }

  function fragment(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const token = csrfToken();
    template.content.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach((input) => { input.value = token; });
    return template.content.firstElementChild;
  }

  const itemOf = (id) => document.getElementById(`question-${id}`);
  const textOf = (item) => item?.querySelector(".question__text")?.textContent.trim() ?? "";
  const votesOf = (item) => Number(item.querySelector("[data-votes]")?.textContent ?? 0);

  // Ordered as the server orders them: now answering first, answered last, then by votes.
  function reorder() {
    if (!list) return;
    const focused = document.activeElement;
    const items = Array.from(list.children);
    const sorted = items.slice().sort((a, b) => {
      const rank = (STATUS_RANK[a.dataset.status] ?? 1) - (STATUS_RANK[b.dataset.status] ?? 1);
      if (rank !== 0) return rank;
      const votes = votesOf(b) - votesOf(a);
      return votes !== 0 ? votes : Number(a.dataset.question) - Number(b.dataset.question);
    });
    if (sorted.every((item, index) => item === items[index])) return;
    sorted.forEach((item) => list.append(item));
    if (focused && list.contains(focused)) focused.focus();
  }

  function place(event) {
    const current = itemOf(event.question);
    if (event.listed === false && !event.html) { current?.remove(); return null; }
    const item = fragment(event.html);
    if (current) current.replaceWith(item); else list?.append(item);
    root.querySelector("[data-no-questions]")?.remove();
    reorder();
    return item;
  }

  function showAnswering(item) {
    if (!answeringText) return;
    answeringText.replaceChildren();
    const paragraph = document.createElement("p");
    paragraph.textContent = textOf(item);
    answeringText.append(paragraph);
  }

  // After a reconnect the page asks the server for the list as it is now: what arrived
  // while the socket was away is in it (the database is the truth, the socket a hint).
  let watchedBefore = false;
  async function catchUp() {
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin" });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      const freshList = fresh.querySelector("[data-questions]");
      const freshAnswering = fresh.querySelector("[data-answering-text]");
      if (freshList && list) {
        const token = csrfToken();
        freshList.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach((input) => { input.value = token; });
        list.replaceChildren(...Array.from(freshList.children).map((item) => document.importNode(item, true)));
      }
      if (freshAnswering && answeringText) answeringText.replaceChildren(...Array.from(freshAnswering.childNodes).map((node) => document.importNode(node, true)));
    } catch {
      // Offline again: the next reconnect tries once more.
    }
  }

  const handlers = {
    "session.ready": () => {
      send({ type: "meeting.watch", meeting: meetingId });
      if (watchedBefore) catchUp();
      watchedBefore = true;
    },
    "meeting.watching": () => { if (liveStatus) liveStatus.textContent = root.dataset.textLive; },
    "meeting.unavailable": () => { if (liveStatus) liveStatus.textContent = root.dataset.textGone; announce(root.dataset.textGone); },
    "meeting.question_added": (event) => {
      const isNew = !itemOf(event.question);
      const item = place(event);
      if (isNew && item) announce(`${root.dataset.textAdded}: ${textOf(item)}`);
    },
    "meeting.question_updated": place,
    "meeting.question_merged": place,
    "meeting.question_hidden": place,
    "meeting.question_removed": (event) => { itemOf(event.question)?.remove(); },
    "meeting.answering": (event) => {
      const item = place(event);
      if (item) { showAnswering(item); announce(`${root.dataset.textAnswering}: ${textOf(item)}`); }
    },
    "meeting.answered": (event) => {
      const item = place(event);
      if (item && answeringText && answeringText.textContent.trim() === textOf(item)) answeringText.replaceChildren();
      if (item) announce(`${root.dataset.textAnswered}: ${textOf(item)}`);
    },
    "meeting.vote": (event) => {
      for (const [question, votes] of event.votes) {
        const counter = document.querySelector(`[data-votes="${question}"]`);
        if (counter) counter.textContent = String(votes);
      }
      reorder();
    },
    "meeting.join_link": (event) => {
      document.querySelectorAll("[data-join-link]").forEach((link) => { if (event.join_url) link.href = event.join_url; });
    },
  };

  document.addEventListener("live:event", (message) => {
    const event = message.detail;
    if (event.type === "session.ready" || event.meeting === meetingId) handlers[event.type]?.(event);
  });
  // The connection may have been ready before this script arrived: ask (live.js).
  document.dispatchEvent(new CustomEvent("live:hello"));

  // Votes and questions without leaving the page; the socket brings the result to everyone.
  root.addEventListener("submit", async (event) => {
    const form = event.target;
    const isVote = form.matches("[data-vote-form]");
    if (!isVote && !form.matches(".question-form")) return;
    event.preventDefault();
    try {
      const response = await fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin", headers: { Accept: "application/json" },
      });
      if (!response.ok) { form.submit(); return; }
      const data = await response.json();
      if (isVote) {
        const button = form.querySelector("button");
        button.setAttribute("aria-pressed", data.voted ? "true" : "false");
        button.classList.toggle("button--pressed", data.voted);
        button.classList.toggle("button--secondary", !data.voted);
        const counter = document.querySelector(`[data-votes="${data.question}"]`);
        if (counter) counter.textContent = String(data.votes);
        reorder();
      } else {
        form.reset();
      }
    } catch {
      form.submit();
    }
  });
}
