// Live notifications and threads over one WebSocket per tab (/ws/).
// The database is the truth and the socket a hint: after every (re)connect the
// page asks /notifications/since/<id>/ for what it missed. Without JavaScript,
// or without a connection, the site works the same, minus the live updates.

const body = document.body;
const bellCount = document.querySelector("[data-bell-count]");
const bellNumber = document.querySelector("[data-bell-number]");
const toasts = document.querySelector("[data-toasts]");
const announcer = document.querySelector("[data-announcer]");
const threadElement = document.querySelector("[data-thread]");
const postList = document.querySelector(".posts");

let socket = null;
let attempts = 0;
let reconnectTimer = null;
let ready = null; // the open connection's "session.ready", for modules that start late
let lastNotificationId = null;
let pendingPosts = [];
let newRepliesButton = null;

function setUnread(count) {
  if (!bellCount || !bellNumber || typeof count !== "number") return;
  bellNumber.textContent = String(count);
  bellCount.hidden = count === 0;
}

function announce(text) {
  if (!announcer) return;
  announcer.textContent = "";
  window.setTimeout(() => { announcer.textContent = text; }, 50);
}

function toast(text, url, id) {
  if (!toasts) return;
  const item = document.createElement("div");
  item.className = "toast";
  if (id) item.dataset.notification = String(id);
  const link = document.createElement("a");
  link.href = url || body.dataset.notifications;
  link.textContent = text;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "toast__close";
  close.setAttribute("aria-label", "×");
  close.textContent = "×";
  close.addEventListener("click", () => item.remove());
  item.append(link, close);
  toasts.append(item);
  keepToastsClear();
  window.setTimeout(() => item.remove(), 8000);
}

// Toasts sit at the bottom of the window, or at the top while the reply form is there: they
// never cover what someone is writing. (Everything in them is also announced and in the bell.)
function overlaps(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

function keepToastsClear() {
  const composer = document.querySelector(".reply form, form[data-composer]");
  if (!toasts || !composer || !toasts.childElementCount) return;
  const area = composer.getBoundingClientRect();
  toasts.classList.remove("toasts--top", "toasts--tucked");
  if (!overlaps(toasts.getBoundingClientRect(), area)) return;
  toasts.classList.add("toasts--top");
  if (overlaps(toasts.getBoundingClientRect(), area)) toasts.classList.replace("toasts--top", "toasts--tucked");
}

window.addEventListener("scroll", keepToastsClear, { passive: true });
window.addEventListener("resize", keepToastsClear);

// A notification that joins a group replaces the group's earlier one: its toast too,
// and the bell keeps its count (the event carries the count after the change).
function onNotification(event) {
  if (lastNotificationId !== null && event.id <= lastNotificationId) return;
  lastNotificationId = Math.max(lastNotificationId ?? 0, event.id);
  if (typeof event.unread === "number") setUnread(event.unread);
  if (event.replaces && toasts) toasts.querySelector(`[data-notification="${event.replaces}"]`)?.remove();
  toast(event.text, event.url, event.id);
  announce(event.text);
}

// Read in another tab (or by reading the thread here): every tab's bell follows.
function onNotificationsRead(event) {
  setUnread(event.unread);
}

async function catchUp() {
  if (lastNotificationId === null) return;
  try {
    // The address for notifications after id 0, with this id in its place.
    const url = body.dataset.catchUp.replace(/\/0\/$/, `/${lastNotificationId}/`);
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return;
    const data = await response.json();
    for (const item of data.notifications) {
      if (!item.read) onNotification(item);
      lastNotificationId = Math.max(lastNotificationId, item.id);
    }
    setUnread(data.unread);
  } catch {
    // Offline again: the next reconnect tries once more.
  }
}

// --- Threads -------------------------------------------------------------------

function isLastPage() {
  return postList && postList.dataset.lastPage === "true";
}

// A live post is rendered by the server for this member (their own buttons, their
// language) without a CSRF token: its forms get the page's own.
function csrfToken() {
  return document.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "";
}

function fragmentFor(event) {
  const template = document.createElement("template");
  template.innerHTML = event.html.trim();
  const token = csrfToken();
  template.content.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach((input) => { input.value = token; });
  return template.content.firstElementChild;
}

function showNewRepliesButton() {
  if (!threadElement) return;
  if (!newRepliesButton) {
    newRepliesButton = document.createElement("button");
    newRepliesButton.type = "button";
    newRepliesButton.className = "button new-replies";
    newRepliesButton.addEventListener("click", () => {
      const first = pendingPosts[0];
      pendingPosts = [];
      newRepliesButton.hidden = true;
      if (!isLastPage()) {
        window.location.href = `${window.location.pathname}?page=${postList.dataset.pageCount}#post-${first}`;
        return;
      }
      const target = document.getElementById(`post-${first}`);
      if (target) {
        target.scrollIntoView({ block: "start" });
        target.setAttribute("tabindex", "-1");
        target.focus();
      }
    });
    // Right under the posts, above the page links and the reply form: sticky to the bottom
    // of the window only while that place is below it, so it never covers the reply form.
    postList.after(newRepliesButton);
  }
  const count = pendingPosts.length;
  newRepliesButton.textContent = count === 1
    ? body.dataset.textNewReply
    : body.dataset.textNewReplies.replace("%(count)s", String(count));
  newRepliesButton.hidden = false;
  announce(newRepliesButton.textContent);
}

function onPostCreated(event) {
  if (document.getElementById(`post-${event.number}`)) return;
  if (isLastPage()) {
    // Appended below what the reader is looking at: the scroll position stays put.
    const item = document.createElement("li");
    item.append(fragmentFor(event));
    postList.append(item);
  } else {
    const pageCount = Math.floor((event.number - 1) / Number(postList.dataset.perPage)) + 1;
    postList.dataset.pageCount = String(pageCount);
  }
  pendingPosts.push(event.number);
  showNewRepliesButton();
}

function onPostUpdated(event) {
  const current = document.getElementById(`post-${event.number}`);
  if (current) current.replaceWith(fragmentFor(event));
}

function onThreadGone(text) {
  // Nothing more arrives for this thread on this socket; what the page shows stays.
  pendingPosts = [];
  if (newRepliesButton) newRepliesButton.hidden = true;
  if (!threadElement || threadElement.querySelector(".thread-gone")) return;
  const notice = document.createElement("p");
  notice.className = "alert alert--warning thread-gone";
  notice.setAttribute("role", "status");
  notice.textContent = text;
  threadElement.prepend(notice);
}

// --- Moderation queue counts ---------------------------------------------------
// The page renders the counts per group; the socket sends a group's fresh counts
// whenever its queues change, and the page adds them up again.

const moderationElement = document.querySelector("[data-moderation]");
const QUEUE_KINDS = ["flags", "hidden", "signups"];

function readJson(id, fallback) {
  const element = document.getElementById(id);
  if (!element) return fallback;
  try { return JSON.parse(element.textContent); } catch { return fallback; }
}

const moderationCounts = moderationElement ? readJson("moderation-counts", {}) : null;
const moderationOther = moderationElement ? readJson("moderation-other-counts", {}) : null;

function queueTotals() {
  const totals = {};
  for (const kind of QUEUE_KINDS) {
    totals[kind] = (moderationOther[kind] ?? 0)
      + Object.values(moderationCounts).reduce((sum, counts) => sum + (counts[kind] ?? 0), 0);
  }
  return totals;
}

function onModerationCounts(event) {
  if (!moderationCounts) return;
  const before = queueTotals();
  moderationCounts[String(event.group)] = { flags: event.flags, hidden: event.hidden, signups: event.signups };
  const after = queueTotals();
  let changed = false;
  for (const kind of QUEUE_KINDS) {
    document.querySelectorAll(`[data-count="${kind}"]`).forEach((element) => { element.textContent = String(after[kind]); });
    if (after[kind] !== before[kind]) changed = true;
  }
  if (changed && moderationElement.dataset.textCounts) {
    announce(moderationElement.dataset.textCounts
      .replace("%(flags)s", String(after.flags))
      .replace("%(hidden)s", String(after.hidden))
      .replace("%(signups)s", String(after.signups)));
  }
}

// --- The connection -----------------------------------------------------------

const handlers = {
  "session.ready": (event) => {
    if (lastNotificationId === null) lastNotificationId = event.last_notification ?? 0;
    setUnread(event.unread);
    if (threadElement) socket.send(JSON.stringify({ type: "thread.watch", thread: Number(threadElement.dataset.thread) }));
    if (moderationElement) socket.send(JSON.stringify({ type: "moderation.watch" }));
  },
  "moderation.counts": onModerationCounts,
  "moderation.watching": () => { if (moderationElement) moderationElement.dataset.liveCounts = "on"; },
  "notification.created": onNotification,
  "notification.read": onNotificationsRead,
  "thread.post_created": onPostCreated,
  "thread.post_updated": onPostUpdated,
  "thread.post_hidden": onPostUpdated,
  // Its moderators keep following a hidden thread; everyone else hears only that it was hidden.
  "thread.hidden": (event) => (event.following ? announce(body.dataset.textThreadHiddenModerator) : onThreadGone(body.dataset.textThreadHidden)),
  "thread.unavailable": () => onThreadGone(body.dataset.textThreadUnavailable),
  "thread.answer_accepted": () => announce(body.dataset.textAnswer),
};

function connect() {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${window.location.host}${body.dataset.live}`);
  socket.addEventListener("open", () => {
    const wasReconnect = attempts > 0;
    attempts = 0;
    if (wasReconnect) catchUp();
  });
  socket.addEventListener("message", (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch { return; }
    if (event.type === "session.ready") ready = event;
    handlers[event.type]?.(event);
    // Other page modules (meetings.js) hear the connection's events on the document.
    if (event.type === "session.ready" || event.type.startsWith("meeting.") || event.type === "error") {
      document.dispatchEvent(new CustomEvent("live:event", { detail: event }));
    }
  });
  socket.addEventListener("close", (event) => {
    ready = null;
    // 4401/4403: not (or no longer) allowed in; reconnecting would not help.
    if (event.code === 4401 || event.code === 4403) return;
    attempts += 1;
    if (!navigator.onLine) return; // the "online" event reconnects
    // Exponential backoff with full jitter, capped at 30 seconds.
    const delay = Math.random() * Math.min(30000, 1000 * 2 ** Math.min(attempts, 5));
    window.clearTimeout(reconnectTimer);
    reconnectTimer = window.setTimeout(connect, delay);
  });
}

if (body.dataset.live && "WebSocket" in window) connect();
// A module that starts after the connection said it was ready (its script arrived late) asks
// with "live:hello" and hears that "session.ready" again, so that it can subscribe.
document.addEventListener("live:hello", () => {
  if (ready && socket && socket.readyState === WebSocket.OPEN) {
    document.dispatchEvent(new CustomEvent("live:event", { detail: ready }));
  }
});
// ... and send on it: one socket per tab, whichever module has something to say.
document.addEventListener("live:send", (event) => {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(event.detail));
});
// Going offline ends the connection at once (a dead socket can look open for minutes);
// coming back reconnects straight away, and the reconnect catches up.
window.addEventListener("offline", () => { if (socket && socket.readyState === WebSocket.OPEN) socket.close(); });
window.addEventListener("online", () => {
  window.clearTimeout(reconnectTimer);
  if (!socket || socket.readyState === WebSocket.CLOSED || socket.readyState === WebSocket.CLOSING) connect();
});
