// Progressive enhancement only: every page works without it (without it
// the navigation simply wraps onto several lines on a phone).
// Menu: on a narrow screen the primary navigation folds behind a button.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector(".menu-button");
  const nav = document.getElementById("primary-nav");
  if (!button || !nav) {
    return;
  }
  const narrow = window.matchMedia("(max-width: 40rem)");
  const fold = () => {
    button.hidden = !narrow.matches;
    const open = !narrow.matches || button.getAttribute("aria-expanded") === "true";
    nav.classList.toggle("folded", !open);
  };
  button.addEventListener("click", () => {
    button.setAttribute("aria-expanded", button.getAttribute("aria-expanded") === "true" ? "false" : "true");
    fold();
  });
  narrow.addEventListener("change", fold);
  fold();
});

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
