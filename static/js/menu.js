// The phone header's menu is a <details>: it opens and closes without JavaScript. This adds
// what a menu button is expected to do: aria-expanded on the button, Escape closes the menu
// and returns focus to it, and a wide window (where the menu is always shown) keeps it open
// in browsers that cannot show a closed <details>' content with CSS.

const menu = document.querySelector("[data-site-menu]");
if (menu) {
  const toggle = menu.querySelector("summary");
  const wide = window.matchMedia("(min-width: 48rem)");
  const sync = () => toggle.setAttribute("aria-expanded", String(menu.open));
  if (!CSS.supports("selector(::details-content)")) {
    const keepOpen = () => { if (wide.matches) menu.open = true; };
    wide.addEventListener("change", keepOpen);
    keepOpen();
  }
  menu.addEventListener("toggle", sync);
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menu.open && !wide.matches) {
      menu.open = false;
      toggle.focus();
    }
  });
  sync();
}
