// Writing posts: the quote button and @mention completion.
// Without JavaScript the quote button opens the reply page with the quote filled in,
// and mentions are typed by hand.

/** Put text at the caret of a textarea and move the caret after it. */
function insertAtCaret(textarea, text) {
  const start = textarea.selectionStart ?? textarea.value.length;
  const end = textarea.selectionEnd ?? start;
  textarea.setRangeText(text, start, end, "end");
  textarea.dispatchEvent(new Event("input", { bubbles: true }));
}

/** Quote buttons fetch the post's Markdown and add it to the reply form on the same page. */
function enhanceQuoteButtons() {
  const textarea = document.querySelector(".reply textarea");
  if (!textarea) return;
  document.querySelectorAll("a[data-quote]").forEach((link) => {
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      try {
        const response = await fetch(link.dataset.quoteUrl, { credentials: "same-origin" });
        if (!response.ok) throw new Error(String(response.status));
        const quote = await response.text();
        if (textarea.value && !textarea.value.endsWith("\n\n")) insertAtCaret(textarea, "\n\n");
        insertAtCaret(textarea, quote);
        textarea.focus();
        textarea.scrollIntoView({ block: "center" });
      } catch {
        window.location.href = link.href; // the page without JavaScript does the same
      }
    });
  });
}

/**
 * @mention completion: typing "@" and a few letters shows matching members
 * in a listbox under the text area. Arrow keys choose, Enter or Tab inserts,
 * Escape closes. The text area keeps focus (aria-activedescendant).
 */
function enhanceMentions(textarea) {
  const list = document.createElement("ul");
  list.className = "mention-list";
  list.id = `${textarea.id}-mentions`;
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", textarea.dataset.mentionLabel || "@");
  list.hidden = true;
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("aria-live", "polite");
  textarea.after(list, status);
  textarea.setAttribute("aria-autocomplete", "list");
  textarea.setAttribute("aria-controls", list.id);
  let members = [];
  let active = -1;
  let timer = null;

  const wordBeforeCaret = () => {
    const before = textarea.value.slice(0, textarea.selectionStart);
    const match = /(^|[^\w@])@([a-z0-9_]{1,30})$/i.exec(before);
    return match ? match[2] : null;
  };
  const close = () => {
    list.hidden = true;
    members = [];
    active = -1;
    textarea.removeAttribute("aria-activedescendant");
  };
  const highlight = (index) => {
    active = index;
    list.querySelectorAll("li").forEach((item, i) => item.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) textarea.setAttribute("aria-activedescendant", `${list.id}-${index}`);
  };
  const choose = (index) => {
    const word = wordBeforeCaret();
    const member = members[index];
    if (word === null || !member) return close();
    const end = textarea.selectionStart;
    textarea.setRangeText(`${member.handle} `, end - word.length, end, "end");
    close();
    textarea.focus();
  };
  const show = (found) => {
    members = found;
    list.replaceChildren(
      ...found.map((member, index) => {
        const item = document.createElement("li");
        item.id = `${list.id}-${index}`;
        item.setAttribute("role", "option");
        item.textContent = `@${member.handle} · ${member.name}${member.municipality ? `, ${member.municipality}` : ""}`;
        item.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(index);
        });
        return item;
      }),
    );
    list.hidden = found.length === 0;
    const announcement = textarea.dataset.mentionFound || "{count}";
    status.textContent = found.length ? announcement.replace("{count}", String(found.length)) : "";
    highlight(found.length ? 0 : -1);
  };

  textarea.addEventListener("input", () => {
    clearTimeout(timer);
    const word = wordBeforeCaret();
    if (word === null) return close();
    timer = setTimeout(async () => {
      try {
        const response = await fetch(`${textarea.dataset.mentionAutocomplete}?q=${encodeURIComponent(word)}`, { credentials: "same-origin" });
        if (response.ok) show((await response.json()).members);
      } catch {
        close();
      }
    }, 150);
  });
  textarea.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    if (event.key === "ArrowDown") highlight((active + 1) % members.length);
    else if (event.key === "ArrowUp") highlight((active - 1 + members.length) % members.length);
    else if (event.key === "Enter" || event.key === "Tab") choose(active);
    else if (event.key === "Escape") close();
    else return;
    event.preventDefault();
  });
  textarea.addEventListener("blur", () => setTimeout(close, 100));
}

enhanceQuoteButtons();
document.querySelectorAll("textarea[data-mention-autocomplete]").forEach(enhanceMentions);
