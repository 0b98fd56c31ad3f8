using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace OrleansSettlement.Protocol;

/// <summary>
/// Every way a protocol object or request can be wrong. The wire form of a code is its
/// snake_case name (see <see cref="ProtocolError.WireCode"/>); wire codes are stable:
/// never rename or reuse a member, add new ones instead.
/// </summary>
public enum ProtocolErrorCode
{
    // Encoding and canonical form.
    MalformedJson,
    DuplicateMember,
    NumberNotInteger,
    IntegerOutOfRange,
    InvalidBase64Url,
    InvalidTimestamp,

    // Object structure.
    MissingField,
    InvalidField,
    UnknownField,
    UnsupportedVersion,
    WrongPurpose,

    // Keys and signatures.
    InvalidKey,
    MissingSignature,
    MalformedSignature,
    BadSignature,
    UnknownKey,

    // Money.
    InvalidCurrency,
    NonPositiveAmount,
    AmountOutOfRange,
    CurrencyMismatch,
    AmountOverflow,

    // E-money notes.
    DuplicateNote,
    NoteExpired,
    NoteNotYetValid,
    NoteWrongHolder,
    NoteWrongIssuer,
    NoteWrongCurrency,

    // Agreements and agreement infos (S3).
    SharesDoNotSumToTotal,
    DuplicateParticipant,
    LeaderNotParticipant,
    WalletKeyMismatch,
    AgreementExpired,
    AgreementMismatch,
    AcceptanceMissing,
    DuplicateAcceptance,
    NotAParticipant,

    // Request infos.
    AmountNotShare,
    PayeeMismatch,
    InstitutionMismatch,
    InsufficientNotes,

    // Challenges and responses (S4-S6).
    ChallengeExpired,
    ChallengeMismatch,
    NotesMismatch,

    // Parties, accounts and notes held by the service.
    UnknownInstitution,
    UnknownAccount,
    UnknownStore,
    UnknownWallet,
    UnknownNote,
    UnknownCheckout,
    UnknownAgreement,
    AlreadyExists,
    InsufficientFunds,
    NoteAlreadySpent,
    NoteHeldElsewhere,

    // Checkouts (S2-S7).
    CheckoutClosed,
    CheckoutExpired,
    CheckoutMismatch,
    NotTheLeader,
    BundleIncomplete,
    ChallengeNotFound,
    CheckoutSessionLost,

    // Requests to the API.
    IdempotencyKeyReused,
    IdempotencyKeyMissing,
    Unauthenticated,
    Forbidden,
    SignatureExpired,
    ReplayedRequest,
    DigestMismatch,
    PayloadTooLarge,
    NotFound,
    UnsupportedMediaType,
}

/// <summary>A business outcome that refuses something: a stable code and a sentence a person understands.</summary>
public sealed record ProtocolError(ProtocolErrorCode Code, string Detail)
{
    /// <summary>The stable machine-readable code, for example <c>note_expired</c>.</summary>
    public string WireCode => ToWireCode(Code);

    public static string ToWireCode(ProtocolErrorCode code)
    {
        var name = code.ToString();
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    public override string ToString() => $"{WireCode}: {Detail}";
}

/// <summary>Either a value or the <see cref="ProtocolError"/> that explains why there is none.</summary>
public readonly struct Outcome<T> : IEquatable<Outcome<T>>
{
    private readonly T? _value;

    private Outcome(T? value, ProtocolError? error)
    {
        _value = value;
        Error = error;
    }

    public ProtocolError? Error { get; }

    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsOk => Error is null;

    /// <summary>The value; reading it from a failed outcome is a bug and throws.</summary>
    public T Value => Error is null ? _value! : throw new InvalidOperationException($"Outcome holds an error, not a value: {Error}");

    public static Outcome<T> Ok(T value) => new(value, null);

    public static Outcome<T> Fail(ProtocolError error) => new(default, error ?? throw new ArgumentNullException(nameof(error)));

    public static Outcome<T> Fail(ProtocolErrorCode code, string detail) => Fail(new ProtocolError(code, detail));

    public static implicit operator Outcome<T>(ProtocolError error) => Fail(error);

    public bool TryGetValue([MaybeNullWhen(false)] out T value, [NotNullWhen(false)] out ProtocolError? error)
    {
        value = _value;
        error = Error;
        return Error is null;
    }

    public bool Equals(Outcome<T> other) => EqualityComparer<T?>.Default.Equals(_value, other._value) && Equals(Error, other.Error);

    public override bool Equals(object? obj) => obj is Outcome<T> other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_value, Error);

    public static bool operator ==(Outcome<T> left, Outcome<T> right) => left.Equals(right);

    public static bool operator !=(Outcome<T> left, Outcome<T> right) => !left.Equals(right);

    public override string ToString() => IsOk ? $"Ok({_value})" : $"Fail({Error})";
}

/// <summary>Thrown where an API has no outcome channel (for example a CLI reading a file); carries the error.</summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException(ProtocolError error)
        : base(error?.ToString())
    {
        Error = error ?? throw new ArgumentNullException(nameof(error));
    }

    public ProtocolException(ProtocolErrorCode code, string detail)
        : this(new ProtocolError(code, detail))
    {
    }

    public ProtocolException()
        : this(ProtocolErrorCode.InvalidField, "invalid input")
    {
    }

    public ProtocolException(string message)
        : this(ProtocolErrorCode.InvalidField, message)
    {
    }

    public ProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = new ProtocolError(ProtocolErrorCode.InvalidField, message);
    }

    public ProtocolError Error { get; }
}
