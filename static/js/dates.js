// Times written as <time datetime title data-relative> (the "when" helper of the templates)
// read as "3 minuten geleden" for the past week. The exact time stays in the title, shown
// on hover, and in the element's text for screen readers; the visible relative text is
// hidden from them. Without JavaScript the exact time is shown.

const WEEK = 7 * 24 * 3600;
const UNITS = [
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

function relative(format, seconds) {
  for (const [unit, size] of UNITS) {
    if (seconds >= size) return format.format(-Math.floor(seconds / size), unit);
  }
  return format.format(0, "minute");
}

function render(element, format, now) {
  const then = Date.parse(element.getAttribute("datetime"));
  if (Number.isNaN(then)) return;
  const seconds = Math.max(0, (now - then) / 1000);
  let shown = element.querySelector("[data-relative-text]");
  if (seconds >= WEEK) {
    if (shown) element.replaceChildren(element.title);
    return;
  }
  if (!shown) {
    shown = document.createElement("span");
    shown.setAttribute("aria-hidden", "true");
    shown.dataset.relativeText = "";
    const exact = document.createElement("span");
    exact.className = "visually-hidden";
    exact.textContent = element.title;
    element.replaceChildren(shown, exact);
  }
  const text = relative(format, seconds);
  if (shown.textContent !== text) shown.textContent = text; // no change, no new mutation
}

export function renderTimes(root = document) {
  const format = new Intl.RelativeTimeFormat(document.documentElement.lang || "nl", { numeric: "auto" });
  const now = Date.now();
  root.querySelectorAll("time[data-relative]").forEach((element) => render(element, format, now));
}

renderTimes();
window.setInterval(renderTimes, 60_000);
// Posts that arrive live are rendered by the server like the others: show them the same way.
new MutationObserver((changes) => {
  if (changes.some((change) => change.addedNodes.length)) renderTimes();
}).observe(document.querySelector("main") ?? document.body, { childList: true, subtree: true });
