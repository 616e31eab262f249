// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copyTarget);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent).then(() => {
    const label = button.textContent;
    button.textContent = document.documentElement.dataset.copied || "Copied";  // in the page's language
    setTimeout(() => { button.textContent = label; }, 1500);
  });
});

// Irreversible actions (remove a member, revoke a token, withdraw) ask once before they post.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// A table wider than the screen scrolls inside its own box (accord.css); make that box
// reachable with the keyboard (Tab, then the arrow keys), only while it does scroll.
function markScrollingTables() {
  for (const table of document.querySelectorAll("main table")) {
    if (table.scrollWidth > table.clientWidth + 1) table.setAttribute("tabindex", "0");
    else table.removeAttribute("tabindex");
  }
}
document.addEventListener("DOMContentLoaded", markScrollingTables);
window.addEventListener("resize", markScrollingTables);
