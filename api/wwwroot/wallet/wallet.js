// The web wallet: a client terminal through the documented API only. Its ECDSA P-256 key is made by WebCrypto with a
// non-extractable private key and kept in IndexedDB; every request is signed (RFC 9421) and every message is an ES256
// signed object over its RFC 8785 canonical form, as the SDK makes them.
import { call, follow, fragment, el, log, money, minorUnits, sha256, signObject, contentId, walletKey, ApiError } from "/js/lib.js";
import { renderSteps, markStep, renderOutcome } from "/js/steps.js";

const params = fragment();
// One wallet per name: a tab keeps its name (sessionStorage), so three tabs can be three payers.
const name = params.get("w") ?? sessionStorage.getItem("wallet-name") ?? "default";
sessionStorage.setItem("wallet-name", name);
for (const [field, key] of [["bank", "bank"], ["operator", "operator"]]) if (params.get(key)) el(field).value = params.get(key);

const key = await walletKey(name);
const me = key.walletId;
const auth = { wallet: key };
el("wallet-name").textContent = name;
el("wallet-id").textContent = me;

let session = null; // the checkout this wallet follows: { store, checkoutId, joined: [], agreement, leader, notes, stops }

async function refreshProfile() {
  try {
    const profile = await call("GET", `/v1/wallets/${me}`, undefined, auth);
    el("registered").textContent = "yes";
    el("account").textContent = `${profile.institution}/${profile.account}`;
    el("setup").classList.add("hidden");
    await refreshNotes();
    return profile;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) log(error.message);
    return null;
  }
}

async function refreshNotes() {
  const { notes } = await call("GET", `/v1/wallets/${me}/notes`, undefined, auth);
  const outstanding = notes.filter((n) => n.state === "outstanding");
  el("notes").replaceChildren(...outstanding.map((n) => {
    const item = document.createElement("li");
    item.className = "note";
    item.textContent = `${money(n.note.amountMinor, n.note.currency)} from ${n.note.issuer} (${n.note.serial})`;
    return item;
  }));
  el("balance").textContent = money(outstanding.reduce((sum, n) => sum + n.note.amountMinor, 0));
  return outstanding.map((n) => n.note);
}

el("open-account").addEventListener("click", async () => {
  const bank = el("bank").value.trim();
  const token = el("operator").value.trim();
  const account = "w-" + Array.from((await sha256(new TextEncoder().encode(me))).slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
  try {
    await call("POST", `/v1/institutions/${bank}/accounts`, { account, ownerKind: "wallet", owner: me, currency: "EUR" }, { token });
    await call("POST", `/v1/institutions/${bank}/accounts/${account}/deposits`, { amountMinor: minorUnits(el("deposit").value) }, { token });
    await call("POST", "/v1/wallets", { key: key.jwk, institution: bank, account }, auth);
    log(`registered with ${bank}/${account}`);
    await refreshProfile();
  } catch (error) {
    log("refused: " + error.message);
  }
});

el("withdraw").addEventListener("click", async () => {
  try {
    const denominationsMinor = el("denominations").value.split(/[\s;+]+/).filter(Boolean).map(minorUnits);
    const withdrawal = await call("POST", `/v1/wallets/${me}/withdrawals`, { denominationsMinor }, auth);
    log(`withdrew ${withdrawal.notes.length} notes`);
    await refreshNotes();
  } catch (error) {
    log("refused: " + error.message);
  }
});

el("join").addEventListener("click", async () => {
  const [store, checkoutId] = el("join-target").value.trim().split("/");
  try {
    const checkout = await call("POST", `/v1/stores/${store}/checkouts/${checkoutId}/joins`, {}, auth);
    log(`joined checkout ${checkoutId} at ${store}: ${money(checkout.totalMinor, checkout.currency)}`);
    followCheckout(store, checkoutId, checkout.totalMinor);
  } catch (error) {
    log("refused: " + error.message);
  }
});

el("propose").addEventListener("click", async () => {
  const { store, checkoutId, joined, total } = session;
  const share = Math.floor(total / joined.length);
  const participants = joined.map((j, i) => ({ key: j.key, institution: j.institution, shareMinor: share + (i < total - share * joined.length ? 1 : 0) }));
  try {
    await call("POST", `/v1/stores/${store}/checkouts/${checkoutId}/agreement`, { participants }, auth);
    log(`proposed the agreement for ${joined.length} payers`);
  } catch (error) {
    log("refused: " + error.message);
  }
});

el("accept").addEventListener("click", async () => {
  el("accept").disabled = true;
  const { store, checkoutId, agreement, agreementId } = session;
  followWallet();
  try {
    const mine = agreement.participants.find((p) => p.wallet === me);
    const notes = chooseNotes(await refreshNotes(), mine.shareMinor);
    const info = { agreement, acceptance: await signObject({ purpose: "osettle.acceptance.v1", agreementId, wallet: me }, key.privateKey) };
    const request = await signObject({
      purpose: "osettle.request.v1", agreementId, wallet: me, institution: mine.institution, notes: notes.map((n) => n.serial),
      currency: agreement.currency, amountMinor: mine.shareMinor, payee: agreement.payee, changeTo: me,
    }, key.privateKey);
    session.contribution = { wallet: me, agreementInfo: info, requestInfo: request, notes };
    session.notes = notes;
    if (agreement.leader === me) {
      log("accepted; waiting for the other payers' contributions (S1)");
      await submitBundleWhenComplete();
    } else {
      try {
        await call("POST", `/v1/wallets/${agreement.leader}/contributions`, { agreementInfo: info, requestInfo: request, notes }, auth);
        markStep("S1", "sent to the leader");
        log("S1: contribution sent to the leader");
      } catch (error) {
        log("S1 refused: " + error.message);
        if (error.code === "agreement_mismatch") {
          // The agreement this app accepted is not the checkout's: tell the store, which refuses the payment (S3).
          await call("POST", `/v1/stores/${store}/checkouts/${checkoutId}/declines`, { agreementInfo: info }, auth);
          log("told the store that my agreement differs");
        }
      }
    }
  } catch (error) {
    log("refused: " + error.message);
  }
});

/** The fewest notes, largest first, worth at least the share (the rest comes back as change). */
function chooseNotes(notes, share) {
  const chosen = [];
  let sum = 0;
  for (const note of [...notes].sort((a, b) => b.amountMinor - a.amountMinor)) {
    if (sum >= share) break;
    chosen.push(note);
    sum += note.amountMinor;
  }
  if (sum < share) throw new Error(`my notes are worth ${money(sum)}, less than my share ${money(share)}: withdraw more`);
  return chosen;
}

async function submitBundleWhenComplete() {
  if (!session?.contribution || session.bundled || session.agreement.leader !== me) return;
  const others = session.agreement.participants.length - 1;
  const { contributions } = await call("GET", `/v1/wallets/${me}/contributions?agreementId=${session.agreementId}`, undefined, auth);
  if (contributions.length < others) return;
  session.bundled = true;
  try {
    await call("POST", `/v1/stores/${session.store}/checkouts/${session.checkoutId}/bundle`, { contributions: [...contributions, session.contribution] }, auth);
    log("S2: bundle submitted to the store");
  } catch (error) {
    session.bundled = false;
    log("S2 refused: " + error.message);
  }
}

async function answer(event) {
  if (!session || event.checkoutId !== session.checkoutId || !session.notes) return;
  const challenge = event.challenge;
  const response = await signObject({
    purpose: "osettle.response.v1", agreementId: challenge.agreementId, wallet: me, challengeId: await contentId(challenge),
    nonce: challenge.nonce, notes: session.notes.map((n) => n.serial),
  }, key.privateKey);
  try {
    await call("POST", `/v1/stores/${session.store}/checkouts/${session.checkoutId}/responses`, { response }, auth);
    markStep("S5", "answered");
    log("S5: challenge answered");
  } catch (error) {
    log("S5 refused: " + error.message);
  }
}

function followCheckout(store, checkoutId, total) {
  session?.stops.forEach((stop) => stop());
  session = { store, checkoutId, total, joined: [], stops: [] };
  el("joined").replaceChildren();
  renderSteps();
  session.stops.push(follow(`/v1/stores/${store}/checkouts/${checkoutId}/events`, auth, async (type, event) => {
    if (type === "joined") {
      session.joined.push(event.joined);
      const item = document.createElement("li");
      item.className = "mono";
      item.textContent = `${event.joined.wallet === me ? "me" : event.joined.wallet.slice(0, 12) + "…"} (${event.joined.institution})`;
      el("joined").append(item);
      el("propose").disabled = session.joined.length < 2 || !session.total;
    } else if (type === "agreement") {
      el("propose").disabled = true;
      // The agreement as the checkout holds it (read back, as an app shows what its user accepts).
      const checkout = await call("GET", `/v1/stores/${store}/checkouts/${checkoutId}`, undefined, auth);
      session.agreement = checkout.agreement;
      session.agreementId = await contentId(checkout.agreement); // the id of what this app accepts, computed here
      const mine = checkout.agreement.participants.find((p) => p.wallet === me);
      el("agreement").classList.remove("hidden");
      el("agreement-id").textContent = session.agreementId.slice(0, 16) + "…";
      el("agreement-total").textContent = money(checkout.agreement.totalMinor, checkout.agreement.currency);
      el("my-share").textContent = mine ? money(mine.shareMinor) : "not a payer";
      el("leader").textContent = checkout.agreement.leader === me ? "me" : checkout.agreement.leader.slice(0, 12) + "…";
      el("accept").disabled = !mine;
      el("stage").textContent = "agreement_proposed";
    } else if (type === "step") {
      markStep(event.step.step, event.step.detail);
    } else if (type === "outcome") {
      showOutcome(event.checkout);
    }
  }, (state) => (el("feed").textContent = state)));
}

/**
 * Once this payer has accepted, the page follows its own wallet feed instead of the checkout's (a browser keeps about six
 * connections per site, and four tabs with two streams each would use them all): contributions (the leader), its
 * challenge, notes, and the end of the checkout, after which it reads the checkout for the receipt or the reason.
 */
function followWallet() {
  session.stops.forEach((stop) => stop());
  session.stops = [follow(`/v1/wallets/${me}/events`, auth, async (type, event) => {
    if (type === "contribution" && event.agreementId === session.agreementId) {
      log(`S1: contribution from ${event.wallet.slice(0, 12)}… (${event.count} held)`);
      await submitBundleWhenComplete();
    } else if (type === "challenge" && event.checkoutId === session.checkoutId) {
      await answer(event);
      await refreshCheckout();
    } else if (type === "notes") {
      refreshNotes().catch(() => {});
    } else if (type === "checkout-ended" && event.checkoutId === session.checkoutId) {
      await refreshCheckout();
    }
  }, (state) => (el("feed").textContent = state))];
}

/** Reads the checkout and shows its steps and, when it has ended, its outcome. */
async function refreshCheckout() {
  const checkout = await call("GET", `/v1/stores/${session.store}/checkouts/${session.checkoutId}`, undefined, auth);
  for (const step of checkout.steps) markStep(step.step, step.detail);
  if (checkout.stage === "settled" || checkout.stage === "aborted") showOutcome(checkout);
  else el("stage").textContent = checkout.stage;
}

function showOutcome(checkout) {
  el("accept").disabled = true;
  renderOutcome(checkout, me);
  const line = checkout.receipt?.payers.find((p) => p.wallet === me);
  if (line) el("change").textContent = `I paid ${money(line.paidMinor)}; my change: ${money(line.changeMinor)}`;
  setTimeout(() => refreshNotes().catch(() => {}), 1000);
}

function readJoinFragment() {
  const join = fragment().get("join");
  if (join) el("join-target").value = join;
}

window.addEventListener("hashchange", readJoinFragment);
readJoinFragment();
// The buttons stay disabled until the wallet's key is ready and their handlers are attached: a click while the key is
// still being made or read from IndexedDB would otherwise do nothing.
for (const id of ["open-account", "withdraw", "join"]) el(id).disabled = false;
await refreshProfile();
