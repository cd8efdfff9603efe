// wikipact portal: small enhancements only; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // a form with data-confirm asks before it is sent (revoking a key, ending an agreement)
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  // a button with data-copy copies the text of the element it names (a new key's secret)
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      if (!source) return;
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        button.textContent = "Copied";
      } catch {
        button.textContent = "Select the text and copy it";
      }
    });
  }
  // a select with data-autosubmit sends its form when it changes (the usage period)
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
});
