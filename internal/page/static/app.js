// Progressive enhancement only: every page works without it.
// Copy buttons: an element with data-copy puts that text on the clipboard
// and says so (data-copied) for two seconds.
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard) {
    return;
  }
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
        button.textContent = button.dataset.copied;
        setTimeout(() => { button.textContent = label; }, 2000);
      } catch (e) {
        // Leave the IBAN to be selected by hand.
      }
    });
  }
});
