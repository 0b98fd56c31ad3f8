using System.Text;

namespace OrleansSettlement.Api.Http;

/// <summary>
/// A finished answer: status, media type and the exact body text. Every route answers this way, so the answer that an
/// idempotency record stores is byte for byte the answer that was sent.
/// </summary>
public sealed record ApiAnswer(int StatusCode, string ContentType, string Body)
{
    public const string JsonMediaType = "application/json";

    /// <summary>Set on an answer replayed from an idempotency record.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    public bool IsSuccess => StatusCode is >= 200 and < 300;

    public static ApiAnswer Ok<T>(T value) => new(StatusCodes.Status200OK, JsonMediaType, ApiJson.Serialize(value));

    /// <summary>The result that writes this answer, optionally marked as a replay.</summary>
    public IResult ToResult(bool replayed = false) => new AnswerResult(this, replayed);

    private sealed class AnswerResult(ApiAnswer answer, bool replayed) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            var response = httpContext.Response;
            response.StatusCode = answer.StatusCode;
            response.ContentType = answer.ContentType + "; charset=utf-8";
            response.Headers.CacheControl = "no-store";
            if (replayed)
            {
                response.Headers[ReplayedHeader] = "true";
            }

            var bytes = Encoding.UTF8.GetBytes(answer.Body);
            response.ContentLength = bytes.Length;
            await response.Body.WriteAsync(bytes, httpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
