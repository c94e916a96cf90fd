// The outreach form's pickers: type-aheads over the register (ARIA combobox with a listbox).
// Progressive enhancement only: without this file the chosen records are checkboxes and the
// server resolves the text typed into a picker's box when the form is sent.
"use strict";

(() => {
  const DELAY = 150; // ms after the last key before asking the server

  function optionLabel(kind, item) {
    const main = document.createElement("span");
    const more = document.createElement("span");
    more.className = "muted";
    if (kind === "people") {
      main.textContent = item.name;
      const parts = [item.email, item.organisation && item.organisation.name].filter(Boolean);
      if (parts.length) more.textContent = " · " + parts.join(" · ");
    } else if (kind === "organisations") {
      main.textContent = item.name;
      if (item.country) more.textContent = ` (${item.country})`;
    } else {
      const code = document.createElement("span");
      code.className = "code-badge";
      code.textContent = item.code;
      main.append(code, " " + item.text);
      if (item.recent) more.textContent = " · recent";
    }
    return [main, more];
  }

  function plainLabel(kind, item) {
    if (kind === "subitems") return `${item.code} ${item.text}`;
    return item.name;
  }

  function checkbox(name, value, content, checked) {
    const li = document.createElement("li");
    const label = document.createElement("label");
    label.className = "check";
    const input = document.createElement("input");
    input.type = "checkbox";
    input.name = name;
    input.value = String(value);
    input.checked = checked;
    const text = document.createElement("span");
    text.append(...content);
    label.append(input, " ", text);
    li.append(label);
    return li;
  }

  function boxesOf(form, name, value) {
    return Array.from(form.querySelectorAll(`input[type=checkbox][name="${name}"]`))
      .filter((box) => box.value === String(value));
  }

  function setUp(fieldset) {
    const form = fieldset.closest("form");
    const kind = fieldset.dataset.picker;
    const name = fieldset.dataset.name;
    const input = fieldset.querySelector(".combo input[type=text]");
    const chosen = fieldset.querySelector("[data-chosen]");
    if (!form || !input || !chosen) return;
    const hint = fieldset.querySelector(".combo .hint");
    if (hint) hint.textContent += " ↓ and ↑ choose a suggestion, Enter adds it, Escape closes the list.";

    const list = document.createElement("ul");
    list.id = `${input.id}-list`;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", `${fieldset.querySelector("legend").firstChild.textContent.trim()} found`);
    list.hidden = true;
    const status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    input.after(list);
    list.after(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    let results = [];
    let active = -1;
    let timer = null;
    let asked = 0; // answers to older questions are dropped
    let pickFirst = false; // Enter came before the answer: pick its first match
    let stale = false; // the list answers what was typed before the last key

    function close() {
      list.hidden = true;
      list.replaceChildren();
      results = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      const options = list.querySelectorAll("[role=option]");
      options.forEach((option, n) => option.setAttribute("aria-selected", String(n === index)));
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(found) {
      results = found;
      stale = false;
      list.replaceChildren(...found.map((item, n) => {
        const option = document.createElement("li");
        option.id = `${input.id}-option-${item.id}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.append(...optionLabel(kind, item));
        option.addEventListener("mousedown", (event) => {
          event.preventDefault(); // keep the focus in the box
          pick(n);
        });
        return option;
      }));
      const open = found.length > 0;
      list.hidden = !open;
      input.setAttribute("aria-expanded", String(open));
      highlight(open ? 0 : -1);
      status.textContent = open
        ? `${found.length} ${found.length === 1 ? "suggestion" : "suggestions"}: ↓ and ↑ choose, Enter adds.`
        : "No matches.";
    }

    async function ask(q) {
      const ticket = ++asked;
      const url = new URL(fieldset.dataset.source, window.location.href);
      url.searchParams.set("q", q);
      const day = form.querySelector("[name=occurred_on]");
      if (day && day.value) url.searchParams.set("on", day.value);
      let answer;
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        answer = await response.json();
        if (!response.ok) {
          if (ticket === asked) { close(); status.textContent = answer.error || "The search failed."; }
          return;
        }
      } catch (_error) {
        if (ticket === asked) { close(); status.textContent = "The search failed: the server did not answer."; }
        return;
      }
      if (ticket !== asked || document.activeElement !== input) return;
      show(answer.results || []);
      if (pickFirst) {
        pickFirst = false;
        if (results.length) pick(0);
      }
    }

    function offerOrganisation(item) {
      const offers = fieldset.querySelector("[data-offers]");
      const organisation = item.organisation;
      if (!offers || !organisation || boxesOf(form, "organisation_ids", organisation.id).length) return "";
      const text = document.createTextNode(`Add ${organisation.name} (where ${item.name} works)`);
      offers.append(checkbox("organisation_ids", organisation.id, [text], false));
      return ` Suggested: add ${organisation.name}, below.`;
    }

    function pick(index) {
      const item = results[index];
      if (!item) return;
      const existing = boxesOf(form, name, item.id);
      if (fieldset.hasAttribute("data-single")) {
        // A picker of one record: the one picked replaces the one chosen.
        fieldset.querySelectorAll(`input[type=checkbox][name="${name}"]:checked`).forEach((box) => {
          if (box.value !== String(item.id)) box.checked = false;
        });
      }
      let said;
      if (existing.length) {
        // Ticked where it is; one offered elsewhere (recent, candidates) joins the chosen.
        existing.forEach((box) => { box.checked = true; });
        const inChosen = existing.some((box) => chosen.contains(box));
        if (!inChosen) chosen.append(existing[0].closest("li"));
        said = inChosen ? `${plainLabel(kind, item)} is chosen already.`
          : `${plainLabel(kind, item)} added; ${chosen.querySelectorAll("input:checked").length} chosen.`;
      } else {
        chosen.append(checkbox(name, item.id, optionLabel(kind, item), true));
        const count = chosen.querySelectorAll("input:checked").length;
        said = `${plainLabel(kind, item)} added; ${count} chosen.`;
      }
      if (kind === "people") said += offerOrganisation(item);
      input.value = "";
      close();
      status.textContent = said;
    }

    input.addEventListener("input", () => {
      window.clearTimeout(timer);
      stale = true;
      pickFirst = false;
      const q = input.value.trim();
      if (!q && kind !== "subitems") { close(); return; }
      timer = window.setTimeout(() => ask(q), DELAY);
    });
    input.addEventListener("focus", () => {
      if (kind === "subitems" && !input.value.trim() && fieldset.dataset.recent) ask("");
    });
    input.addEventListener("blur", () => { window.setTimeout(close, 100); });
    input.addEventListener("keydown", (event) => {
      const open = !list.hidden && results.length > 0;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!open) { ask(input.value.trim()); return; }
        const step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + results.length) % results.length);
      } else if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
        // Enter picks; it never sends the form from a picker's box (Ctrl+Enter does).
        event.preventDefault();
        if (open && !stale && active >= 0) pick(active);
        else if (input.value.trim()) {
          window.clearTimeout(timer);
          pickFirst = true;
          ask(input.value.trim());
        }
      } else if (event.key === "Escape") {
        if (open) { event.preventDefault(); close(); status.textContent = "Suggestions closed."; }
        else if (input.value) { event.preventDefault(); input.value = ""; }
      } else if (event.key === "Tab") {
        close();
      }
    });
  }

  // Events of the days around the date typed.
  function followDate(form) {
    const day = form.querySelector("[name=occurred_on]");
    const select = form.querySelector("select[name=event_id]");
    const source = select && select.dataset.source;
    if (!day || !select || !source) return;
    day.addEventListener("change", async () => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day.value)) return;
      const url = new URL(source, window.location.href);
      url.searchParams.set("on", day.value);
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return;
      const answer = await response.json();
      const keep = select.value;
      const options = [new Option("No event", "")];
      for (const event of answer.results || []) options.push(new Option(event.label, String(event.id)));
      if (keep && !options.some((o) => o.value === keep)) {
        const kept = select.querySelector(`option[value="${keep}"]`);
        if (kept) options.push(kept.cloneNode(true));
      }
      select.replaceChildren(...options);
      select.value = keep;
    });
  }

  document.querySelectorAll("form[data-outreach-form]").forEach((form) => {
    form.querySelectorAll("[data-picker]").forEach(setUp);
    followDate(form);
    // Ctrl+Enter (Cmd+Enter on a Mac) saves from anywhere in the form.
    form.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  });
})();
