// The ten steps of the method (docs/protocol.md), shown live on both pages.
import { el, money } from "/js/lib.js";

export const STEPS = {
  S1: "each payer's contribution to the leader",
  S2: "the leader's bundle to the store",
  S3: "the store: agreement infos match",
  S4: "challenges sent to every payer",
  S5: "each payer answers",
  S6: "the store verifies each answer",
  S7: "package to the banks",
  S8: "each bank verifies again",
  S9: "the banks' results, one decision",
  S10: "each bank settles",
};

export function renderSteps() {
  const list = el("steps");
  list.replaceChildren();
  for (const [step, text] of Object.entries(STEPS)) {
    const item = document.createElement("li");
    item.id = "step-" + step;
    item.dataset.step = step;
    item.textContent = `${step} ${text}`;
    list.append(item);
  }
}

/** Marks a step done (with its detail); a step event S6 also means S5 happened, S2 means S1 did. */
let lastStep = null;

export function markStep(step, detail, failed = false) {
  lastStep = step;
  const implied = { S2: ["S1"], S6: ["S5"] }[step] ?? [];
  for (const s of [...implied, step]) {
    const item = el("step-" + s);
    if (!item) continue;
    item.classList.add(failed && s === step ? "failed" : "done");
    if (s === step && detail) item.title = detail;
  }
}

/** Shows the outcome of a checkout (settled with its receipt, or aborted with its reason). */
export function renderOutcome(checkout, myWallet) {
  const box = el("outcome");
  box.classList.remove("hidden", "settled", "aborted");
  box.classList.add(checkout.stage);
  el("stage").textContent = checkout.stage;
  if (checkout.stage === "settled") {
    box.textContent = `Settled: ${money(checkout.receipt.totalMinor, checkout.receipt.currency)} paid to ${checkout.receipt.payee.account} at ${checkout.receipt.payee.institution}`;
    const table = document.createElement("table");
    table.innerHTML = "<tr><th>payer</th><th>bank</th><th>paid</th><th>change</th></tr>";
    for (const line of checkout.receipt.payers) {
      const row = table.insertRow();
      row.className = line.wallet === myWallet ? "mine" : "";
      for (const text of [line.wallet.slice(0, 10) + "…", line.institution, money(line.paidMinor), money(line.changeMinor)]) row.insertCell().textContent = text;
    }
    el("receipt").replaceChildren(table);
  } else {
    box.innerHTML = "";
    box.append("Refused: ");
    const code = document.createElement("code");
    code.id = "reason-code";
    code.textContent = checkout.abortReason?.code ?? "";
    box.append(code, " " + (checkout.abortReason?.detail ?? ""));
    // The step that ended the checkout (the last one recorded before the outcome) and every step not reached.
    el("step-" + lastStep)?.classList.replace("done", "failed");
    for (const item of el("steps").querySelectorAll("li:not(.done)")) item.classList.add("failed");
  }
}
