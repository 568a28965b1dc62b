// Progressive enhancement for every page. The site works without this file.

/** Lower case without accents, as the search folds text ("Súdwest" finds "sudwest"). */
function fold(text) {
  return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLocaleLowerCase("nl");
}

/**
 * A long <select data-searchable> becomes a combobox (the WAI-ARIA 1.2 combobox
 * pattern, a list with automatic selection): type to narrow the list, the first
 * match is highlighted at once (so "zwol" and Enter choose Zwolle), arrow keys move
 * through the list (aria-activedescendant), Enter, Tab or a click chooses, Escape
 * closes the list and then clears the box. The select stays the submitted field: it
 * is hidden and kept in step, and the text box takes over its id, so the label and
 * the error summary's link lead to the text box. Without JavaScript the plain select
 * is used.
 */
function enhanceCombobox(select) {
  const id = select.id;
  const label = document.querySelector(`label[for="${id}"]`);
  if (label && !label.id) label.id = `${id}-label`;

  const wrapper = document.createElement("div");
  wrapper.className = "combobox";
  const input = document.createElement("input");
  input.type = "text";
  input.className = "combobox__input";
  input.autocomplete = "off";
  input.spellcheck = false;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", `${id}-listbox`);
  for (const name of ["aria-describedby", "aria-invalid", "required"]) {
    if (select.hasAttribute(name)) input.setAttribute(name, select.getAttribute(name));
  }
  const list = document.createElement("ul");
  list.id = `${id}-listbox`;
  list.className = "combobox__list";
  list.setAttribute("role", "listbox");
  if (label) list.setAttribute("aria-labelledby", label.id);
  list.hidden = true;

  const items = Array.from(select.options).map((option, index) => {
    const item = document.createElement("li");
    item.id = `${id}-option-${index}`;
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", String(option.selected && option.value !== ""));
    item.textContent = option.text;
    list.append(item);
    // "Zwolle (Overijssel)": the name alone also counts as an exact answer.
    const name = fold(option.text.replace(/\s*\([^)]*\)\s*$/, ""));
    return { option, item, text: fold(option.text), name };
  });
  let shown = items;
  let active = -1;

  function setActive(index) {
    if (active >= 0 && shown[active]) shown[active].item.classList.remove("is-active");
    active = index;
    if (index >= 0 && shown[index]) {
      shown[index].item.classList.add("is-active");
      input.setAttribute("aria-activedescendant", shown[index].item.id);
      shown[index].item.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function open() {
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function close() {
    setActive(-1);
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
  }

  /** Show the options that contain what was typed, those that start with it first. */
  function narrow() {
    const needle = fold(input.value.trim());
    if (active >= 0 && shown[active]) shown[active].item.classList.remove("is-active");
    active = -1;
    const starting = [];
    const containing = [];
    for (const entry of items) {
      const real = entry.option.value !== "";
      if (!needle) {
        starting.push(entry);
      } else if (real && entry.text.startsWith(needle)) {
        starting.push(entry);
      } else if (real && entry.text.includes(needle)) {
        containing.push(entry);
      }
    }
    shown = needle ? [...starting, ...containing] : starting;
    const visible = new Set(shown);
    for (const entry of items) entry.item.hidden = !visible.has(entry);
    list.append(...shown.map((entry) => entry.item));
  }

  function choose(entry) {
    select.value = entry.option.value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    input.value = entry.option.value === "" ? "" : entry.option.text;
    for (const other of items) other.item.setAttribute("aria-selected", String(other === entry && entry.option.value !== ""));
    close();
  }

  /** When leaving the box or submitting: what was typed becomes the choice if it names one. */
  function settle() {
    const needle = fold(input.value.trim());
    const current = select.selectedOptions[0];
    if (!needle) {
      select.value = "";
      for (const entry of items) entry.item.setAttribute("aria-selected", "false");
      close();
      return;
    }
    if (current && current.value !== "" && fold(current.text) === needle) {
      close();
      return;
    }
    const exact = items.find((entry) => entry.option.value !== "" && (entry.text === needle || entry.name === needle));
    const matches = items.filter((entry) => entry.option.value !== "" && entry.text.includes(needle));
    if (exact || matches.length === 1) {
      choose(exact || matches[0]);
    } else {
      select.value = ""; // the server then says which field to fix
      for (const entry of items) entry.item.setAttribute("aria-selected", "false");
      close();
    }
  }

  input.addEventListener("input", () => {
    narrow();
    open();
    setActive(input.value.trim() && shown.length ? 0 : -1);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (list.hidden) {
        narrow();
        open();
        if (!event.altKey) setActive(event.key === "ArrowDown" ? 0 : shown.length - 1);
      } else if (event.key === "ArrowDown") {
        setActive(Math.min(active + 1, shown.length - 1));
      } else {
        setActive(Math.max(active - 1, 0));
      }
    } else if (event.key === "Enter") {
      if (!list.hidden && active >= 0) {
        event.preventDefault(); // choosing, not submitting
        choose(shown[active]);
      } else {
        settle();
      }
    } else if (event.key === "Escape") {
      if (!list.hidden) {
        event.preventDefault();
        close();
      } else if (input.value) {
        event.preventDefault();
        input.value = "";
        settle();
      }
    } else if (event.key === "Tab" && !list.hidden && active >= 0) {
      choose(shown[active]);
    }
  });
  input.addEventListener("click", () => {
    if (list.hidden) {
      narrow();
      open();
    }
  });
  input.addEventListener("blur", () => {
    // A click on an option comes after the blur: it keeps the focus (mousedown below).
    if (!list.contains(document.activeElement)) settle();
  });
  list.addEventListener("mousedown", (event) => event.preventDefault());
  list.addEventListener("click", (event) => {
    const entry = items.find((candidate) => candidate.item === event.target.closest("[role=option]"));
    if (entry) {
      choose(entry);
      input.focus();
    }
  });
  select.form?.addEventListener("submit", settle);

  const selected = select.selectedOptions[0];
  input.value = selected && selected.value !== "" ? selected.text : "";
  select.id = `${id}-select`;
  input.id = id;
  select.hidden = true;
  select.tabIndex = -1;
  select.setAttribute("aria-hidden", "true");
  select.before(wrapper);
  wrapper.append(input, list, select);
}

/**
 * The error summary at the top of a form that came back with errors takes the focus,
 * so it is read first; its links move the focus to their field (and show its label).
 */
function enhanceErrorSummary(summary) {
  summary.focus();
  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    const field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    const label = document.querySelector(`label[for="${field.id}"]`) || field.closest("fieldset")?.querySelector("legend");
    (label || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });
}

document.querySelectorAll("select[data-searchable]").forEach(enhanceCombobox);
const errorSummary = document.querySelector("[data-error-summary]");
if (errorSummary) enhanceErrorSummary(errorSummary);
