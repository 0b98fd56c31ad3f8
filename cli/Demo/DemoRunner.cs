using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Cli.Demo;

/// <summary>
/// Runs one whole group checkout against a service through the partner SDK, as the apps would: the banks' operators open
/// and fund an account for each payer, each payer registers a fresh wallet key and withdraws notes worth more than its
/// share; the store opens a checkout, the leader (payer 1) proposes the agreement, every payer signs its acceptance and
/// request; S1 each other payer sends its contribution to the leader's mailbox; S2 the leader submits the bundle; the
/// service checks it (S3) and challenges every payer (S4); S5 every payer answers; the store follows the checkout while the
/// service and the banks do S6-S10. It reads every account and wallet involved before and after.
/// </summary>
/// <remarks>
/// Every POST carries an Idempotency-Key fixed for this run, and calls that fail on the way (no answer, 5xx) are retried
/// with it until <see cref="DemoSettings.OutcomeTimeout"/>: a demo survives a silo that dies under it.
/// </remarks>
internal sealed class DemoRunner(SettlementClient client, DemoParties parties, IDemoProgress? progress = null, TimeProvider? time = null)
{
    private const int SetupConcurrency = 6;

    /// <summary>Checkouts the demo opens at most, when what the service keeps before S7 is lost with a silo.</summary>
    private const int MaxAttempts = 3;
    private const string AlreadyExists = "already_exists";

    private static readonly TimeSpan CheckoutLifetime = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan ChangeNotesPatience = TimeSpan.FromSeconds(10);

    private readonly SettlementClient _client = client ?? throw new ArgumentNullException(nameof(client));
    private readonly DemoParties _parties = parties ?? throw new ArgumentNullException(nameof(parties));
    private readonly IDemoProgress _progress = progress ?? SilentProgress.Instance;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<DemoReport> RunAsync(DemoSettings settings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        using var run = new Run(this, settings);
        await run.ExecuteAsync(ct).ConfigureAwait(false);
        return run.Report;
    }

    /// <summary>A payer while the demo runs: its key (it never leaves this process), wallet session, notes and contribution.</summary>
    private sealed class Payer(DemoPayer info, WalletSession wallet)
    {
        public DemoPayer Info { get; } = info;

        public WalletSession Wallet { get; } = wallet;

        public IReadOnlyList<JsonObject> Notes { get; set; } = [];

        public ContributionInfo? Contribution { get; set; }

        public long NotesMinor => Info.NotesMinor.Sum();
    }

    /// <summary>One run's state.</summary>
    private sealed class Run : IDisposable
    {
        private readonly DemoRunner _owner;
        private readonly DemoSettings _settings;
        private readonly string _runId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        private readonly DemoCalls _calls;
        private readonly StoreSession _store;
        private readonly List<LocalSigner> _keys = [];
        private readonly Lock _gate = new();
        private Payer[] _payers = [];
        private string _during = "starting";
        private long _lastStepAt;
        private long? _lastS10At;
        private int _serviceStepsSeen;
        private int _attempt = 1;

        public Run(DemoRunner owner, DemoSettings settings)
        {
            _owner = owner;
            _settings = settings;
            _calls = new DemoCalls(settings.OutcomeTimeout, (text, waited) => owner._progress.Waiting(text, waited), owner._time);
            var store = owner._parties.Store;
            _store = owner._client.Store(store.Store, store.Token);
            var shares = DemoSettings.Shares(settings.AmountMinor, settings.Payers);
            Report = new DemoReport
            {
                Service = owner._client.BaseAddress,
                Settings = settings,
                Store = store,
                OrderRef = "demo-" + owner._time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + _runId,
            };
            Report.Payers = [.. Enumerable.Range(1, settings.Payers).Select(n => PlanPayer(n, settings.BankOf(n), shares[n - 1]))];
        }

        public DemoReport Report { get; }

        private TimeProvider Time => _owner._time;

        private IDemoProgress Progress => _owner._progress;

        private SettlementClient Client => _owner._client;

        private Payer Leader => _payers[0];

        public async Task ExecuteAsync(CancellationToken ct)
        {
            var started = Time.GetTimestamp();
            long setupMs = 0;
            long? checkoutStarted = null;
            long checkoutMs = 0;
            long? s2Started = null;
            try
            {
                var setup = Time.GetTimestamp();
                await PreparePayersAsync(ct).ConfigureAwait(false);
                setupMs = Milliseconds(Time.GetElapsedTime(setup));
                Progress.Note(string.Create(
                    CultureInfo.InvariantCulture,
                    $"Prepared {DemoText.Count(_payers.Length, "payer", "payers")} at {string.Join(", ", _settings.PayerBanks)}: accounts opened and funded by their banks, wallets registered, notes withdrawn ({setupMs} ms)"));

                _during = "reading the balances before the checkout";
                Progress.Phase("Reading the balances before the checkout");
                (Report.BalancesBefore, Report.NotesBefore) = await SnapshotAsync(expectOutstandingMinor: null, ct).ConfigureAwait(false);

                checkoutStarted = Time.GetTimestamp();
                for (; ; _attempt++)
                {
                    CheckoutInfo checkout;
                    try
                    {
                        _serviceStepsSeen = 0;
                        await OpenAndAgreeAsync(ct).ConfigureAwait(false);

                        _lastStepAt = Time.GetTimestamp();
                        await SendContributionsAsync(ct).ConfigureAwait(false);
                        s2Started = Time.GetTimestamp();
                        checkout = await SubmitBundleAsync(ct).ConfigureAwait(false);
                        if (!CheckoutStages.IsFinal(checkout.Stage))
                        {
                            await AnswerChallengesAsync(ct).ConfigureAwait(false);
                        }

                        checkout = await WaitForOutcomeAsync(ct).ConfigureAwait(false);
                    }
                    catch (SettlementApiException exception) when (_attempt < MaxAttempts && SessionLost(exception.Code))
                    {
                        StartAgain(exception.Code!);
                        continue;
                    }

                    if (_attempt < MaxAttempts && checkout.Stage == CheckoutStages.Aborted && SessionLost(checkout.AbortReason?.Code))
                    {
                        StartAgain(checkout.AbortReason!.Code);
                        continue;
                    }

                    checkoutMs = Milliseconds(Time.GetElapsedTime(checkoutStarted.Value));
                    Conclude(checkout);
                    break;
                }
            }
            catch (SettlementApiException exception)
            {
                Report.Outcome = exception.IsTransient ? DemoOutcomes.Unavailable : DemoOutcomes.Refused;
                Report.Problem = new DemoProblem(exception.Code, exception.Detail, exception.Status, _during);
                if (checkoutStarted is { } since)
                {
                    checkoutMs = Milliseconds(Time.GetElapsedTime(since));
                }
            }

            if (Report.BalancesBefore.Count > 0)
            {
                await ReadBalancesAfterAsync(ct).ConfigureAwait(false);
            }

            long? s2ToS10 = s2Started is { } s2 && _lastS10At is { } s10 && Report.Outcome == DemoOutcomes.Settled
                ? Milliseconds(Time.GetElapsedTime(s2, s10))
                : null;
            Report.Timings = new DemoTimings(setupMs, checkoutMs, s2ToS10, Milliseconds(Time.GetElapsedTime(started)));
        }

        public void Dispose()
        {
            lock (_gate)
            {
                foreach (var key in _keys)
                {
                    key.Dispose();
                }

                _keys.Clear();
            }
        }

        private static long Milliseconds(TimeSpan elapsed) => (long)elapsed.TotalMilliseconds;

        /// <summary>A payer as planned, before its wallet exists.</summary>
        private static DemoPayer PlanPayer(int number, string institution, long share)
        {
            var notes = DemoSettings.NotesFor(share);
            return new DemoPayer(number, "", institution, "", share, DemoSettings.DepositFor(share, notes), notes);
        }

        private string Key(string what) => _attempt == 1 ? $"demo-{_runId}-{what}" : $"demo-{_runId}-{what}-attempt-{_attempt}";

        /// <summary>Whether a refusal says that what the service keeps before S7 in memory only was lost with a silo: the
        /// checkout's session (<c>checkout_session_lost</c>, ADR 0017) or the leader's mailbox (<c>unknown_agreement</c> at
        /// S1, ADR 0018). Nothing was held, so the store opens a new checkout (docs/protocol.md 3.8).</summary>
        private static bool SessionLost(string? code) => code is "checkout_session_lost" or "unknown_agreement";

        private void StartAgain(string code) =>
            Progress.Note($"The attempt ended with {code} (what the service keeps before S7 was lost with a silo; nothing was held): {_owner._parties.Store.Store} opens a new checkout (attempt {_attempt + 1} of {MaxAttempts})");

        private OperatorSession Operator(string institution) => Client.Operator(institution, _owner._parties.OperatorTokens[institution]);

        // ---- Setup -------------------------------------------------------------------------------------------------

        private async Task PreparePayersAsync(CancellationToken ct)
        {
            _during = "preparing the payers";
            Progress.Phase($"Preparing {DemoText.Count(_settings.Payers, "payer", "payers")}: accounts, deposits, wallets, notes");
            using var slots = new SemaphoreSlim(SetupConcurrency);
            var tasks = Report.Payers.Select(async planned =>
            {
                await slots.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    return await PreparePayerAsync(planned.Number, planned.ShareMinor, ct).ConfigureAwait(false);
                }
                finally
                {
                    slots.Release();
                }
            }).ToList();
            _payers = await Task.WhenAll(tasks).ConfigureAwait(false);

            // The report's payers, now with their wallets and accounts (the plan only knew the shares and banks).
            Report.Payers = [.. _payers.Select(p => p.Info)];
        }

        private async Task<Payer> PreparePayerAsync(int number, long share, CancellationToken ct)
        {
            var institution = _settings.BankOf(number);
            var bank = Operator(institution);
            var key = LocalSigner.Generate();
            lock (_gate)
            {
                _keys.Add(key);
            }

            var wallet = Client.Wallet(key);
            var account = $"payer-{number}-{_runId}";
            var notes = DemoSettings.NotesFor(share);
            var payer = new Payer(new DemoPayer(number, wallet.WalletId, institution, account, share, DemoSettings.DepositFor(share, notes), notes), wallet);
            var name = payer.Info.Name;

            await TolerateAlreadyExists(_calls.RunAsync(
                $"{institution} opening the account of {name}",
                t => bank.OpenAccountAsync(account, AccountOwnerKind.Wallet, wallet.WalletId, _settings.Currency, Key($"account-{number}"), t),
                ct)).ConfigureAwait(false);
            await _calls.RunAsync(
                $"{institution} taking the deposit of {name}",
                t => bank.DepositAsync(account, payer.Info.DepositMinor, Key($"deposit-{number}"), t),
                ct).ConfigureAwait(false);
            await TolerateAlreadyExists(_calls.RunAsync(
                $"{name} registering its wallet",
                t => wallet.RegisterAsync(institution, account, Key($"register-{number}"), t),
                ct)).ConfigureAwait(false);
            var withdrawal = await _calls.RunAsync(
                $"{name} withdrawing notes",
                t => wallet.WithdrawAsync(notes, Key($"withdraw-{number}"), t),
                ct).ConfigureAwait(false);
            payer.Notes = withdrawal.Notes;
            return payer;
        }

        /// <summary>A retry of a creation that had in fact succeeded answers already_exists: for this run's own names, done.</summary>
        private static async Task TolerateAlreadyExists<T>(Task<T> call)
        {
            try
            {
                await call.ConfigureAwait(false);
            }
            catch (SettlementApiException exception) when (exception.Code == AlreadyExists)
            {
                // Made by the first attempt.
            }
        }

        // ---- The checkout ------------------------------------------------------------------------------------------

        private async Task OpenAndAgreeAsync(CancellationToken ct)
        {
            var store = _owner._parties.Store;
            _during = "opening the checkout";
            Progress.Phase($"{store.Store} opens a checkout");
            var opened = await _calls.RunAsync(
                "opening the checkout",
                t => _store.OpenCheckoutAsync(Report.OrderRef, _settings.Currency, _settings.AmountMinor, CheckoutLifetime, SettlementIds.ItemsHash($"{_settings.Payers} coffees and cakes, demo {_runId}"), Key("checkout"), t),
                ct).ConfigureAwait(false);
            Report.Checkout = opened;
            Progress.Note($"Store {store.Store} ({store.DisplayName}) at {store.Institution} opened checkout {opened.CheckoutId} for {DemoText.Money(opened.TotalMinor, _settings.Currency)}, order {opened.OrderRef}");

            _during = "proposing the agreement";
            Progress.Phase("The leader proposes the agreement");
            var participants = _payers.Select(p => new ProposedParticipant(p.Wallet.PublicKey.ToJson(), p.Info.Institution, p.Info.ShareMinor)).ToList();
            var proposed = await _calls.RunAsync(
                "proposing the agreement",
                t => Leader.Wallet.ProposeAgreementAsync(store.Store, opened.CheckoutId, participants, Key("agreement"), t),
                ct).ConfigureAwait(false);
            Report.Checkout = proposed;
            Report.AgreementId = proposed.AgreementId;
            Progress.Note($"Payer 1, the leader, proposed agreement {DemoText.Short(proposed.AgreementId ?? "?")}: {Shares()}");

            _during = "accepting the agreement";
            Progress.Phase("Every payer reads the agreement and signs its acceptance and request");
            foreach (var payer in _payers)
            {
                var seen = await _calls.RunAsync(
                    $"{payer.Info.Name} reading the checkout",
                    t => payer.Wallet.GetCheckoutAsync(store.Store, opened.CheckoutId, t),
                    ct).ConfigureAwait(false);
                if (seen.Agreement is null || !string.Equals(seen.AgreementId, proposed.AgreementId, StringComparison.Ordinal))
                {
                    throw new SettlementApiException($"{payer.Info.Name} read checkout {opened.CheckoutId} with agreement {seen.AgreementId ?? "(none)"}, not the one proposed ({proposed.AgreementId}).");
                }

                payer.Contribution = await payer.Wallet.ContributionAsync(seen.Agreement, payer.Notes, ct).ConfigureAwait(false);
            }

            Progress.Note("Every payer read the agreement from the checkout and signed its acceptance (agreement info) and its request (request info)");
        }

        private string Shares()
        {
            var shares = _payers.Select(p => $"{p.Info.Name} {DemoText.Money(p.Info.ShareMinor, _settings.Currency)}").ToList();
            return shares.Count <= 6 ? string.Join(", ", shares) : string.Join(", ", shares.Take(5)) + $", ... ({shares.Count} shares)";
        }

        /// <summary>S1: each other payer sends its contribution to the leader's mailbox.</summary>
        private async Task SendContributionsAsync(CancellationToken ct)
        {
            _during = "S1: sending the contributions to the leader";
            foreach (var payer in _payers.Skip(1))
            {
                Progress.Phase($"S1: {payer.Info.Name} sends its contribution to the leader");
                await _calls.RunAsync(
                    $"S1 of {payer.Info.Name}",
                    t => payer.Wallet.SendContributionAsync(Leader.Info.Wallet, payer.Contribution!, Key($"s1-{payer.Info.Number}"), t),
                    ct).ConfigureAwait(false);
                ClientStep(
                    "S1",
                    $"payer {payer.Info.Number} ({payer.Info.Institution}) sent its contribution to the leader's mailbox: signed agreement info and request info, "
                    + $"{DemoText.Count(payer.Notes.Count, "note", "notes")} worth {DemoText.Money(payer.NotesMinor, _settings.Currency)} for its share of {DemoText.Money(payer.Info.ShareMinor, _settings.Currency)}");
            }
        }

        /// <summary>S2: the leader reads its mailbox and submits the bundle; the answer carries S2-S4.</summary>
        private async Task<CheckoutInfo> SubmitBundleAsync(CancellationToken ct)
        {
            _during = "S2: submitting the bundle";
            Progress.Phase("S2: the leader reads its mailbox and submits the bundle");
            var agreementId = Report.AgreementId!;
            var expected = _payers.Length - 1;
            var started = Time.GetTimestamp();
            ContributionsInfo mailbox;
            while (true)
            {
                mailbox = await _calls.RunAsync("the leader reading its mailbox", t => Leader.Wallet.GetContributionsAsync(agreementId, t), ct).ConfigureAwait(false);
                if (mailbox.Contributions.Count >= expected || Time.GetElapsedTime(started) > _settings.OutcomeTimeout)
                {
                    break;
                }

                Progress.Waiting($"the leader's mailbox holds {mailbox.Contributions.Count} of {expected} contributions", Time.GetElapsedTime(started));
                await Task.Delay(PollEvery, Time, ct).ConfigureAwait(false);
            }

            List<ContributionInfo> bundle = [.. mailbox.Contributions, Leader.Contribution!];
            var checkout = await _calls.RunAsync(
                "S2, submitting the bundle",
                t => Leader.Wallet.SubmitBundleAsync(_owner._parties.Store.Store, Report.Checkout!.CheckoutId, bundle, Key("bundle"), t),
                ct).ConfigureAwait(false);
            Observe(checkout);
            return checkout;
        }

        /// <summary>S5: every payer reads its challenge (S4) and answers; each answer carries the store's S6 (and the last S7).</summary>
        private async Task AnswerChallengesAsync(CancellationToken ct)
        {
            var checkoutId = Report.Checkout!.CheckoutId;
            foreach (var payer in _payers)
            {
                _during = $"S5: {payer.Info.Name} answering its challenge";
                Progress.Phase($"S5: {payer.Info.Name} answers its challenge");
                var challenge = await ChallengeOfAsync(payer, checkoutId, ct).ConfigureAwait(false);
                var response = await payer.Wallet.SignResponseAsync(challenge.Challenge, payer.Notes, ct).ConfigureAwait(false);
                var checkout = await _calls.RunAsync(
                    $"S5 of {payer.Info.Name}",
                    t => payer.Wallet.SubmitResponseAsync(challenge.Store, challenge.CheckoutId, response, Key($"s5-{payer.Info.Number}"), t),
                    ct).ConfigureAwait(false);
                ClientStep("S5", $"payer {payer.Info.Number} read its challenge and answered it (a response signed with its wallet key, naming its notes)");
                Observe(checkout);
                if (CheckoutStages.IsFinal(checkout.Stage))
                {
                    return;
                }
            }
        }

        private async Task<ChallengeInfo> ChallengeOfAsync(Payer payer, string checkoutId, CancellationToken ct)
        {
            var started = Time.GetTimestamp();
            while (true)
            {
                var challenges = await _calls.RunAsync($"{payer.Info.Name} reading its challenges", t => payer.Wallet.GetChallengesAsync(t), ct).ConfigureAwait(false);
                var challenge = challenges.Challenges.LastOrDefault(c => string.Equals(c.CheckoutId, checkoutId, StringComparison.Ordinal));
                if (challenge is not null)
                {
                    return challenge;
                }

                var waited = Time.GetElapsedTime(started);
                if (waited > _settings.OutcomeTimeout)
                {
                    throw new SettlementApiException($"no challenge reached {payer.Info.Name} within {_settings.OutcomeTimeout.TotalSeconds:0} s.");
                }

                Progress.Waiting($"{payer.Info.Name} waits for its challenge", waited);
                await Task.Delay(PollEvery, Time, ct).ConfigureAwait(false);
            }
        }

        /// <summary>Follows the checkout as the store until it is settled or aborted, or the outcome timeout passes.</summary>
        private async Task<CheckoutInfo> WaitForOutcomeAsync(CancellationToken ct)
        {
            _during = "waiting for the outcome (S8-S10)";
            Progress.Phase("Waiting for the banks: S8 verify, S9 vote and decide, S10 settle");
            var checkoutId = Report.Checkout!.CheckoutId;
            var institutions = _payers.Select(p => p.Info.Institution).Append(_owner._parties.Store.Institution).Distinct(StringComparer.Ordinal).Count();
            var started = Time.GetTimestamp();
            while (true)
            {
                var checkout = await _calls.RunAsync("the store reading the checkout", t => _store.GetCheckoutAsync(checkoutId, t), ct).ConfigureAwait(false);
                Observe(checkout);
                var waited = Time.GetElapsedTime(started);
                if (CheckoutStages.IsFinal(checkout.Stage) || waited >= _settings.OutcomeTimeout)
                {
                    return checkout;
                }

                var voted = checkout.Steps.Count(s => s.Step == "S8");
                var settled = checkout.Steps.Count(s => s.Step == "S10");
                Progress.Waiting(
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"waiting for the outcome: stage {checkout.Stage}, {voted} of {institutions} banks voted, {settled} settled ({waited.TotalSeconds:0} s of {_settings.OutcomeTimeout.TotalSeconds:0} s)"),
                    waited);
                await Task.Delay(PollEvery, Time, ct).ConfigureAwait(false);
            }
        }

        private void Conclude(CheckoutInfo checkout)
        {
            Report.Checkout = checkout;
            switch (checkout.Stage)
            {
                case CheckoutStages.Settled:
                    Report.Outcome = DemoOutcomes.Settled;
                    break;
                case CheckoutStages.Aborted:
                    Report.Outcome = DemoOutcomes.Aborted;
                    Report.Problem = new DemoProblem(checkout.AbortReason?.Code, checkout.AbortReason?.Detail ?? "the checkout was aborted", 0, "the settlement (S7-S10)");
                    break;
                default:
                    Report.Outcome = DemoOutcomes.TimedOut;
                    Report.Problem = new DemoProblem(
                        null,
                        $"no outcome within {_settings.OutcomeTimeout.TotalSeconds:0} s: the checkout is at stage {checkout.Stage}; it may still settle or abort (read it with the store's token)",
                        0,
                        _during);
                    break;
            }
        }

        // ---- Steps -------------------------------------------------------------------------------------------------

        /// <summary>A step a payer took, timed on this clock.</summary>
        private void ClientStep(string step, string detail)
        {
            var now = Time.GetTimestamp();
            var duration = Milliseconds(Time.GetElapsedTime(_lastStepAt, now));
            _lastStepAt = now;
            Add(new DemoStep(step, detail, DemoText.Timestamp(Time.GetUtcNow()), duration, "client"));
        }

        /// <summary>The checkout as just read: its steps not seen before, in order.</summary>
        private void Observe(CheckoutInfo checkout)
        {
            Report.Checkout = checkout;
            for (var i = _serviceStepsSeen; i < checkout.Steps.Count; i++)
            {
                var step = checkout.Steps[i];
                var now = Time.GetTimestamp();
                var duration = Milliseconds(Time.GetElapsedTime(_lastStepAt, now));
                _lastStepAt = now;
                if (step.Step == "S10")
                {
                    _lastS10At = now;
                }

                Add(new DemoStep(step.Step, step.Detail, step.At, duration, "service"));
            }

            _serviceStepsSeen = Math.Max(_serviceStepsSeen, checkout.Steps.Count);
        }

        private void Add(DemoStep step)
        {
            Report.Steps.Add(step);
            Progress.Step(step, Report.Friendly(step.Detail));
        }

        // ---- Balances ----------------------------------------------------------------------------------------------

        private async Task ReadBalancesAfterAsync(CancellationToken ct)
        {
            _during = "reading the balances after the checkout";
            Progress.Phase("Reading the balances after the checkout");
            Func<Payer, long?> expected = Report.Outcome switch
            {
                // Settled: each wallet holds its change note; aborted: its notes again (their holds released).
                DemoOutcomes.Settled => payer => payer.NotesMinor - payer.Info.ShareMinor,
                DemoOutcomes.Aborted => payer => payer.NotesMinor,
                _ => _ => null,
            };
            try
            {
                (Report.BalancesAfter, Report.NotesAfter) = await SnapshotAsync(expected, ct).ConfigureAwait(false);
            }
            catch (SettlementApiException)
            {
                // The balances after could not be read (the service failed for longer than the demo waits): the report
                // shows none, and its outcome is what the checkout did.
            }
        }

        /// <summary>
        /// Every payer's account (read by its bank's operator) and wallet notes, then the store's account. With
        /// <paramref name="expectOutstandingMinor"/>, waits (up to 10 s) until each wallet's outstanding notes are worth that
        /// much, keeping every note seen on the way (a spent note is listed once, then dropped by the wallet).
        /// </summary>
        private async Task<(IReadOnlyList<DemoBalance>, IReadOnlyList<DemoWalletNotes>)> SnapshotAsync(Func<Payer, long?>? expectOutstandingMinor, CancellationToken ct)
        {
            var payers = await Task.WhenAll(_payers.Select(async payer =>
            {
                var notes = await NotesOfAsync(payer, expectOutstandingMinor?.Invoke(payer), ct).ConfigureAwait(false);
                var account = await _calls.RunAsync(
                    $"{payer.Info.Institution} reading the account of {payer.Info.Name}",
                    t => Operator(payer.Info.Institution).GetAccountAsync(payer.Info.Account, t),
                    ct).ConfigureAwait(false);
                return (Balance: new DemoBalance(payer.Info.Name, payer.Info.Institution, payer.Info.Account, account.BalanceMinor, notes.OutstandingMinor), Notes: notes);
            })).ConfigureAwait(false);

            var store = _owner._parties.Store;
            var till = await _calls.RunAsync(
                $"{store.Institution} reading the account of {store.Store}",
                t => Operator(store.Institution).GetAccountAsync(store.Account, t),
                ct).ConfigureAwait(false);
            List<DemoBalance> balances = [.. payers.Select(p => p.Balance), new DemoBalance("store " + store.Store, store.Institution, store.Account, till.BalanceMinor, 0)];
            return (balances, [.. payers.Select(p => p.Notes)]);
        }

        private async Task<DemoWalletNotes> NotesOfAsync(Payer payer, long? expectOutstandingMinor, CancellationToken ct)
        {
            var seen = new Dictionary<string, DemoNote>(StringComparer.Ordinal);
            var order = new List<string>();
            var started = Time.GetTimestamp();
            while (true)
            {
                var listed = await _calls.RunAsync($"{payer.Info.Name} reading its notes", t => payer.Wallet.GetNotesAsync(t), ct).ConfigureAwait(false);
                foreach (var entry in listed.Notes)
                {
                    var note = DemoReport.ReadNote(entry.Note, entry.State);
                    if (!seen.ContainsKey(note.Serial))
                    {
                        order.Add(note.Serial);
                    }

                    seen[note.Serial] = note;
                }

                // Notes no longer listed were spent and dropped by the wallet after an earlier listing said so.
                var notes = new DemoWalletNotes(payer.Info.Number, payer.Info.Wallet, [.. order.Select(serial => seen[serial])]);
                if (expectOutstandingMinor is not { } expected || notes.OutstandingMinor == expected || Time.GetElapsedTime(started) > ChangeNotesPatience)
                {
                    return notes;
                }

                await Task.Delay(PollEvery * 2, Time, ct).ConfigureAwait(false);
            }
        }
    }
}
