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
