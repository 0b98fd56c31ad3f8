// The web POS: the clerk authenticates as the store with its bearer token (as every store call does), opens a checkout,
// shows its QR code and join link, and follows the checkout's event feed from S1 to S10.
import { call, follow, fragment, el, log, money, minorUnits, sha256, b64url } from "/js/lib.js";
import { renderSteps, markStep, renderOutcome } from "/js/steps.js";

const params = fragment();
if (params.get("store")) el("store").value = params.get("store");
if (params.get("token")) sessionStorage.setItem("pos-token", params.get("token"));
el("token").value = sessionStorage.getItem("pos-token") ?? "";
if (params.get("token")) history.replaceState(null, "", location.pathname); // keep the token out of the address bar

let stop = null;

el("open").addEventListener("click", async () => {
  const store = el("store").value.trim();
  const token = el("token").value.trim();
  sessionStorage.setItem("pos-token", token);
  try {
    el("open").disabled = true;
    const memo = el("memo").value;
    const body = {
      orderRef: "pos-" + new Date().toISOString().replace(/[-:T.Z]/g, "").slice(0, 14),
      currency: el("currency").value.trim(),
      totalMinor: minorUnits(el("total").value),
      expiresInSeconds: 900,
      itemsHash: b64url(await sha256(new TextEncoder().encode(memo))),
    };
    const checkout = await call("POST", `/v1/stores/${store}/checkouts`, body, { token });
    log(`checkout ${checkout.checkoutId} opened for ${money(checkout.totalMinor, checkout.currency)}`);
    show(store, token, checkout);
  } catch (error) {
    log("refused: " + error.message);
    el("open").disabled = false;
  }
});

function show(store, token, checkout) {
  el("checkout").classList.remove("hidden");
  el("store-name").textContent = store;
  el("checkout-id").textContent = checkout.checkoutId;
  el("amount").textContent = money(checkout.totalMinor, checkout.currency);
  const link = `${location.origin}/wallet/#join=${store}/${checkout.checkoutId}`;
  el("join-link").textContent = link;
  el("join-link").href = link;
  const img = document.createElement("img");
  img.alt = "QR code of the join link";
  img.src = `/v1/stores/${store}/checkouts/${checkout.checkoutId}/qr.svg`;
  el("qr").replaceChildren(img);
  el("payers").replaceChildren();
  renderSteps();
  stop?.();
  stop = follow(`/v1/stores/${store}/checkouts/${checkout.checkoutId}/events`, { token }, (type, event) => {
    if (type === "joined") {
      const item = document.createElement("li");
      item.className = "mono";
      item.textContent = `${event.joined.wallet} (${event.joined.institution})`;
      el("payers").append(item);
      log(`a payer joined from ${event.joined.institution}`);
    } else if (type === "agreement") {
      el("stage").textContent = "agreement_proposed";
      log(`agreement ${event.agreementId.slice(0, 10)}… proposed by the leader, ${event.agreement.participants.length} payers`);
    } else if (type === "step") {
      markStep(event.step.step, event.step.detail);
      log(`${event.step.step}: ${event.step.detail}`);
    } else if (type === "outcome") {
      renderOutcome(event.checkout);
      log(`outcome: ${event.checkout.stage} ${event.checkout.abortReason?.code ?? ""}`);
    }
  }, (state) => (el("feed").textContent = state));
}
