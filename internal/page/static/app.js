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

// Live forms: a form with data-live="ID" reloads the element ID in place
// when one of its controls changes, from the same page the form would
// submit to — the server computes and renders the figures, the script
// only swaps them in. A GET form's answer keeps the URL (a reload shows
// the same); a POST form's change is posted as the form would be, without
// its submit button (the server saves what changed and shows the page
// again), one at a time and in order, so an older change is never saved
// over a newer one. Without the script, the form's button submits it.
document.addEventListener("DOMContentLoaded", () => {
  const enhance = (root) => {
    for (const form of root.querySelectorAll("form[data-live]")) {
      if (form.dataset.liveBound) {
        continue;
      }
      form.dataset.liveBound = "1";
      for (const button of form.querySelectorAll("[data-live-submit]")) {
        button.hidden = true;
      }
      // Only the answer to the latest change is swapped in: two quick
      // changes send two requests, and the first to answer may be the
      // older one.
      let latest = 0;
      const post = form.method.toLowerCase() === "post";
      let previous = Promise.resolve();
      form.addEventListener("change", async () => {
        const seq = ++latest;
        const url = new URL(form.getAttribute("action") || "", window.location.href);
        const fields = new URLSearchParams(new FormData(form));
        if (!post) {
          url.search = fields.toString();
        }
        const focused = document.activeElement?.id || "";
        document.getElementById(form.dataset.live)?.setAttribute("aria-busy", "true");
        try {
          const send = () => fetch(url, post
            ? { method: "POST", body: fields, headers: { "Accept": "text/html" }, credentials: "same-origin" }
            : { headers: { "Accept": "text/html" }, credentials: "same-origin" });
          // POSTs wait for the one before them to be answered.
          const request = post ? previous.then(send, send) : send();
          if (post) {
            previous = request.catch(() => {});
          }
          const response = await request;
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          const doc = new DOMParser().parseFromString(await response.text(), "text/html");
          if (seq !== latest) {
            return;
          }
          // Looked up now: an earlier answer may have replaced it.
          const target = document.getElementById(form.dataset.live);
          const fresh = doc.getElementById(form.dataset.live);
          if (target && fresh) {
            target.replaceWith(fresh);
            enhance(fresh);
            if (focused) {
              document.getElementById(focused)?.focus();
            }
            if (!post) {
              history.replaceState(null, "", url.pathname + url.search + url.hash);
            }
          }
        } catch (e) {
          if (seq === latest) {
            form.submit(); // let the server answer the plain way
          }
        } finally {
          if (seq === latest) {
            document.getElementById(form.dataset.live)?.removeAttribute("aria-busy");
          }
        }
      });
    }
  };
  enhance(document);
});
