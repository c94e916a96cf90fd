// Progressive enhancement only: every page works without this file.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  // Guard against double submission of slow forms.
  if (form.dataset.submitting === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "1";
  window.setTimeout(() => { delete form.dataset.submitting; }, 5000);
});

// Organisation names: suggestions from the register while typing (the server resolves names
// without this too).
document.querySelectorAll("datalist[data-source]").forEach((list) => {
  const input = document.querySelector(`input[list="${list.id}"]`);
  if (!input) return;
  let timer = null;
  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 2) return;
    timer = window.setTimeout(async () => {
      const response = await fetch(`${list.dataset.source}?q=${encodeURIComponent(q)}`,
        { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return;
      const found = await response.json();
      list.replaceChildren(...found.map((o) => {
        const option = document.createElement("option");
        option.value = o.name;
        option.label = o.country;
        return option;
      }));
    }, 200);
  });
});

// A refused form: the error summary takes the focus, so the first thing read out is what to
// fix; each of its links puts the cursor in the field and shows that field's label.
const errorSummary = document.querySelector(".error-summary");
if (errorSummary) {
  errorSummary.focus();
  errorSummary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    const input = link && document.getElementById(link.hash.slice(1));
    if (!input) return;
    event.preventDefault();
    const panel = input.closest("details");
    if (panel) panel.open = true;
    input.focus({ preventScroll: true });
    (input.closest(".field") || input).scrollIntoView({ block: "center" });
  });
}

// "/" jumps to the search box of the header, unless the user is typing somewhere.
const siteSearch = document.getElementById("site-q");
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || !siteSearch || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  const typing = !(target instanceof Element) || target.isContentEditable
    || target.closest("input, textarea, select");
  if (typing) return;
  event.preventDefault();
  siteSearch.focus();
  siteSearch.select();
});

// List filters: open on wide screens; on a phone folded behind their summary, unless the
// server opened them to show a refused value.
const wide = window.matchMedia("(min-width: 40.01rem)");
document.querySelectorAll("details[data-open-wide]").forEach((panel) => {
  if (panel.hasAttribute("data-keep-open")) return;
  panel.open = wide.matches;
});

// A page opened at an anchor (the record just logged on a timeline): the focus goes there,
// so a keyboard or screen-reader user continues from it.
if (window.location.hash.length > 1) {
  const anchored = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
  if (anchored && anchored.matches("[tabindex]")) anchored.focus();
}
