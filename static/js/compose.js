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

/** Quote and reply buttons fetch the post's Markdown and add it to the reply form on the same page. */
function enhanceQuoteButtons() {
  const textarea = document.querySelector(".reply textarea");
  if (!textarea) return;
  // "Quote" takes the whole post; "Reply to this post" its first words (data-reply-to).
  document.querySelectorAll("a[data-quote], a[data-reply-to]").forEach((link) => {
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

// --- Drafts, the leave warning and the preview ------------------------------------
// A form marked data-composer keeps its text as a draft on the server while you type
// (data-draft-field and -value say for which thread or group), brings it back when you
// return, warns before you leave with text that is not saved yet, and has a Preview tab
// that shows the text as the server will render the post. Without JavaScript the form
// posts as before.

const SAVE_AFTER_MS = 800;

function csrfOf(form) {
  return form.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "";
}

function enhanceComposer(form) {
  const textarea = form.querySelector("textarea[name=body]");
  if (!textarea) return;
  const title = form.querySelector("input[name=title]");
  const texts = form.dataset;
  const status = document.createElement("p");
  status.className = "composer-status";
  const statusText = document.createElement("span");
  statusText.setAttribute("role", "status");
  status.append(statusText);
  const field = textarea.closest(".field") ?? textarea;
  field.after(status);

  // --- Drafts
  const draftField = texts.draftField;
  let saved = { body: textarea.value, title: title?.value ?? "" };
  let timer = null;
  let saving = null;
  let submitting = false;
  const current = () => ({ body: textarea.value, title: title?.value ?? "" });
  const isDirty = () => {
    const now = current();
    return now.body !== saved.body || now.title !== saved.title;
  };
  const payload = (values) => {
    const data = new FormData();
    data.append("csrfmiddlewaretoken", csrfOf(form));
    data.append(draftField, texts.draftValue);
    data.append("body", values.body);
    if (title) data.append("title", values.title);
    return data;
  };
  const say = (text) => { statusText.textContent = text; };

  async function save() {
    timer = null;
    if (!draftField || submitting || !isDirty()) return;
    const values = current();
    saving = fetch(texts.draftUrl, {
      method: "POST", body: payload(values), credentials: "same-origin", headers: { "X-CSRFToken": csrfOf(form) },
    }).then((response) => {
      if (!response.ok) throw new Error(String(response.status));
      saved = values;
      say(values.body.trim() || values.title.trim() ? texts.textSaved : "");
    }).catch(() => say(texts.textNotSaved)).finally(() => { saving = null; });
    await saving;
  }

  const discardButton = document.createElement("button");
  discardButton.type = "button";
  discardButton.className = "link-button";
  discardButton.textContent = texts.textDiscard;
  discardButton.hidden = true;
  status.append(discardButton);
  discardButton.addEventListener("click", async () => {
    textarea.value = "";
    if (title) title.value = "";
    clearTimeout(timer);
    await save();
    discardButton.hidden = true;
    say(texts.textDiscarded);
    textarea.focus();
  });

  if (draftField) {
    const onInput = () => {
      clearTimeout(timer);
      timer = setTimeout(save, SAVE_AFTER_MS);
      discardButton.hidden = !(textarea.value.trim() || title?.value.trim());
    };
    textarea.addEventListener("input", onInput);
    title?.addEventListener("input", onInput);
    // Bring the draft back, unless the page already holds text (a quote, a form with errors).
    if (!textarea.value.trim()) {
      const query = new URLSearchParams({ [draftField]: texts.draftValue });
      fetch(`${texts.draftUrl}?${query}`, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : { draft: null }))
        .then(({ draft }) => {
          if (!draft || textarea.value.trim()) return;
          textarea.value = draft.body;
          if (title && !title.value) title.value = draft.title;
          saved = current();
          discardButton.hidden = false;
          say(texts.textRestored);
        })
        .catch(() => {});
    }
  }

  // --- Leaving with text that is not saved
  window.addEventListener("beforeunload", (event) => {
    if (submitting || !isDirty()) return;
    if (draftField) {
      // Save what can be saved on the way out; the browser still asks whether to leave.
      navigator.sendBeacon(texts.draftUrl, payload(current()));
    }
    event.preventDefault();
    event.returnValue = "";
  });
  form.addEventListener("submit", async (event) => {
    submitting = true;
    clearTimeout(timer);
    if (saving) {
      // A draft save still on its way could arrive after the post and bring the draft back.
      event.preventDefault();
      await saving;
      form.submit();
    }
  });

  // --- Write and Preview tabs
  const tabs = document.createElement("div");
  tabs.className = "composer-tabs";
  tabs.setAttribute("role", "tablist");
  tabs.setAttribute("aria-label", texts.textTabs);
  const id = textarea.id || "body";
  const panel = document.createElement("div");
  panel.id = `${id}-preview`;
  panel.className = "composer-preview post__body";
  panel.setAttribute("role", "tabpanel");
  panel.hidden = true;
  const writePanel = field;
  writePanel.id ||= `${id}-write`;
  writePanel.setAttribute("role", "tabpanel");
  const makeTab = (text, controls, selected) => {
    const tab = document.createElement("button");
    tab.type = "button";
    tab.setAttribute("role", "tab");
    tab.id = `${controls}-tab`;
    tab.setAttribute("aria-controls", controls);
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    tab.textContent = text;
    return tab;
  };
  const writeTab = makeTab(texts.textWrite, writePanel.id, true);
  const previewTab = makeTab(texts.textPreview, panel.id, false);
  writePanel.setAttribute("aria-labelledby", writeTab.id);
  panel.setAttribute("aria-labelledby", previewTab.id);
  panel.tabIndex = 0;
  tabs.append(writeTab, previewTab);
  writePanel.before(tabs);
  writePanel.after(panel);

  async function showPreview() {
    const data = new FormData();
    data.append("csrfmiddlewaretoken", csrfOf(form));
    data.append("body", textarea.value);
    try {
      const response = await fetch(texts.previewUrl, {
        method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRFToken": csrfOf(form) },
      });
      if (!response.ok) throw new Error(String(response.status));
      const html = await response.text();
      if (html) panel.innerHTML = html; // sanitised by the server, as every post
      else panel.textContent = texts.textPreviewEmpty;
    } catch {
      panel.textContent = texts.textPreviewFailed;
    }
  }
  const select = (tab) => {
    const preview = tab === previewTab;
    for (const [each, on] of [[writeTab, !preview], [previewTab, preview]]) {
      each.setAttribute("aria-selected", String(on));
      each.tabIndex = on ? 0 : -1;
    }
    writePanel.hidden = preview;
    panel.hidden = !preview;
    if (preview) showPreview();
    tab.focus();
  };
  writeTab.addEventListener("click", () => select(writeTab));
  previewTab.addEventListener("click", () => select(previewTab));
  tabs.addEventListener("keydown", (event) => {
    if (!["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) return;
    event.preventDefault();
    const other = document.activeElement === writeTab ? previewTab : writeTab;
    select(event.key === "Home" ? writeTab : event.key === "End" ? previewTab : other);
  });
}

document.querySelectorAll("form[data-composer]").forEach(enhanceComposer);
