// The event form: the start in the viewer's own time zone beside the event's, while typing,
// and the time fields out of the way for all-day events. Progressive enhancement only: the
// server reads the date and time in the event's zone whatever this shows.
"use strict";

(() => {
  const PARTS = { hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit" };

  // Minutes the zone is ahead of UTC at the instant `ms`.
  function offset(zone, ms) {
    const parts = {};
    for (const p of new Intl.DateTimeFormat("en-US", { ...PARTS, timeZone: zone }).formatToParts(new Date(ms))) {
      parts[p.type] = p.value;
    }
    const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute, +parts.second);
    return Math.round((asUtc - ms) / 60000);
  }

  // The UTC instant of a wall-clock time in `zone` (the later reading in a repeated hour).
  function instant(y, m, d, h, min, zone) {
    const guess = Date.UTC(y, m - 1, d, h, min);
    const first = offset(zone, guess);
    let ms = guess - first * 60000;
    const second = offset(zone, ms);
    if (second !== first) ms = guess - second * 60000;
    return ms;
  }

  document.querySelectorAll("form[data-event-form]").forEach((form) => {
    const viewer = form.dataset.viewerZone;
    const line = form.querySelector("[data-viewer-time]");
    const date = form.querySelector("#start_date");
    const time = form.querySelector("#start_time");
    const zone = form.querySelector("#timezone");
    const allDay = form.querySelector("input[name=timing][value=all-day]");
    const timeFields = ["#start_time", "#end_time"].map((s) => form.querySelector(s)).filter(Boolean)
      .map((input) => input.closest(".field"));

    function update() {
      const isAllDay = allDay && allDay.checked;
      timeFields.forEach((f) => { f.hidden = isAllDay; });
      if (!line) return;
      line.hidden = true;
      if (isAllDay || !date || !time || !zone || !viewer || !zone.value || zone.value === viewer) return;
      const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.value);
      const t = /^(\d{1,2}):(\d{2})$/.exec(time.value);
      if (!d || !t) return;
      try {
        const ms = instant(+d[1], +d[2], +d[3], +t[1], +t[2], zone.value);
        const shown = new Intl.DateTimeFormat("en-GB", { timeZone: viewer, weekday: "short", day: "2-digit",
          month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(ms));
        line.textContent = `For you: ${shown} (${viewer})`;
        line.hidden = false;
      } catch (error) {
        line.hidden = true; // a zone this browser does not know
      }
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  });
})();

// The month grid: arrow keys move between days (one tab stop for the grid, today's or the
// first day's cell), Home and End to the week's ends, Enter to the day's first event.
(() => {
  document.querySelectorAll("table[data-month-grid]").forEach((grid) => {
    const cells = Array.from(grid.querySelectorAll("td[data-day]"));
    const STEP = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };
    function moveTo(index) {
      if (index < 0 || index >= cells.length) return;
      cells.forEach((cell) => { cell.tabIndex = -1; });
      cells[index].tabIndex = 0;
      cells[index].focus();
    }
    grid.addEventListener("keydown", (event) => {
      const cell = event.target.closest("td[data-day]");
      if (!cell || event.altKey || event.ctrlKey || event.metaKey) return;
      const index = cells.indexOf(cell);
      if (event.key in STEP && event.target === cell) {
        event.preventDefault();
        moveTo(index + STEP[event.key]);
      } else if ((event.key === "Home" || event.key === "End") && event.target === cell) {
        event.preventDefault();
        const start = index - (index % 7);
        moveTo(event.key === "Home" ? start : start + 6);
      } else if (event.key === "Enter" && event.target === cell) {
        const link = cell.querySelector("a");
        if (link) { event.preventDefault(); link.focus(); }
      } else if (event.key === "Escape" && event.target !== cell) {
        event.preventDefault();
        moveTo(index);
      }
    });
  });
})();
