// Progressive enhancement for every page. The site works without this file.

/**
 * A long <select data-searchable> gets a text box above it that narrows the
 * options as you type. The select stays the real form field, so keyboard use,
 * screen readers and submitting without JavaScript are unchanged.
 */
function enhanceSearchableSelect(select) {
  const input = document.createElement("input");
  input.type = "search";
  input.className = "select-filter";
  input.id = `${select.id}-filter`;
  input.setAttribute("aria-label", select.dataset.filterLabel || "Filter");
  input.setAttribute("aria-controls", select.id);
  input.autocomplete = "off";
  const options = Array.from(select.options).map((option) => ({
    option,
    text: option.text.toLocaleLowerCase("nl"),
  }));
  input.addEventListener("input", () => {
    const needle = input.value.trim().toLocaleLowerCase("nl");
    let first = null;
    for (const { option, text } of options) {
      const match = !needle || option.value === "" || text.includes(needle);
      option.hidden = !match;
      option.disabled = !match && option.value !== "";
      if (match && option.value !== "" && first === null) first = option;
    }
    if (needle && first && (select.selectedOptions[0]?.hidden ?? true)) {
      select.value = first.value;
    }
  });
  select.before(input);
}

document.querySelectorAll("select[data-searchable]").forEach(enhanceSearchableSelect);
