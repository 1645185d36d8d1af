// Toggle between the English working text and the original-language text of a row.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-toggle-original]");
  if (!button) return;
  var scope = document.getElementById(button.getAttribute("aria-controls"));
  if (!scope) return;
  var showOriginal = button.getAttribute("aria-pressed") !== "true";
  scope.querySelectorAll("[data-text]").forEach(function (node) {
    var isOriginal = node.getAttribute("data-text") === "original";
    node.hidden = showOriginal ? !isOriginal : isOriginal;
  });
  button.setAttribute("aria-pressed", showOriginal ? "true" : "false");
});
