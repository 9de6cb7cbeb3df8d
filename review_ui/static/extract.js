// Printable extract: the print button (no inline handlers: the CSP forbids them).
document.getElementById("print").addEventListener("click", function () { window.print(); });
