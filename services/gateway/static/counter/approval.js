/** The manager-approval dialog: a manager types their username and PIN at the counter. */
import { $, fieldError, openDialog } from "./ui.js";

/** Ask for a manager's approval: resolves ``{username, pin}``, or ``null`` when the cashier cancels.
 *  ``error`` (e.g. a wrong PIN from the last try) is shown in the dialog. */
export function askApproval(reason, error) {
  const dialog = $("approval-dialog");
  const form = $("approval-form");
  $("approval-reason").textContent = reason;
  $("approval-pin").value = "";
  fieldError("approval-error", error || null);
  return new Promise(resolve => {
    let answer = null;
    function submitted(event) {
      event.preventDefault();
      answer = { username: $("approval-username").value.trim(), pin: $("approval-pin").value.trim() };
      dialog.close();
    }
    form.addEventListener("submit", submitted);
    dialog.addEventListener("close", () => {
      form.removeEventListener("submit", submitted);
      resolve(answer);
    }, { once: true });
    openDialog(dialog, $("approval-username").value ? "approval-pin" : "approval-username");
  });
}
