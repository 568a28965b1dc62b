// "Print or save as PDF" on a handelingsperspectief: the button is shown once this script runs
// (without JavaScript the browser's own print command does the same; print.css makes it A4).
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
