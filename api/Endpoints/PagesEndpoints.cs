using Microsoft.Extensions.FileProviders;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Model;
using QRCoder;

namespace OrleansSettlement.Api.Endpoints;

/// <summary>
/// The web POS and web wallet pages (static files under <c>wwwroot/</c>, copied beside the API's binaries) and the QR
/// code of a checkout's join link. The pages use only the partner API (docs/api.md); they add no route of their own
/// besides the QR image.
/// </summary>
internal static class PagesEndpoints
{
    /// <summary>Where a checkout's join link points: the wallet page, with the store and checkout in the fragment (never
    /// sent to a server).</summary>
    public static string JoinLink(HttpRequest request, string store, string checkoutId)
    {
        ArgumentNullException.ThrowIfNull(request);
        return $"{request.Scheme}://{request.Host}{request.PathBase}/wallet/#join={store}/{checkoutId}";
    }

    public static RouteGroupBuilder MapPagesEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGroup("/stores").WithTags("Stores and checkouts")
            .MapGet("/{store}/checkouts/{checkoutId}/qr.svg", Qr)
            .WithName("GetCheckoutQrCode")
            .WithSummary("The QR code (SVG) of the checkout's join link, for payers to scan (public: it only encodes the ids given).")
            .WithDescription("The link is {scheme}://{host}/wallet/#join={store}/{checkoutId}: the web wallet page, which reads the checkout and joins it. Nothing is looked up; the checkout id stays the capability.")
            .Produces<string>(StatusCodes.Status200OK, "image/svg+xml")
            .Documented(Access.Public, isPost: false, ProtocolErrorCode.UnknownStore, ProtocolErrorCode.UnknownCheckout);
        return v1;
    }

    /// <summary>Serves <c>wwwroot/</c> (index.html for a folder) with a strict Content-Security-Policy: scripts and
    /// connections to this origin only.</summary>
    public static void UsePages(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var root = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (!Directory.Exists(root))
        {
            return;
        }

        var files = new PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.CacheControl = "no-cache";
                headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
            },
        });
    }

    private static IResult Qr(HttpContext http, string store, string checkoutId)
    {
        if (!Names.IsValid(store))
        {
            return Http.Problems.Answer(http, ProtocolErrorCode.UnknownStore, "there is no store of that name.").ToResult();
        }

        if (!Answers.IsCheckoutId(checkoutId))
        {
            return Http.Problems.Answer(http, ProtocolErrorCode.UnknownCheckout, "that is not a checkout id.").ToResult();
        }

        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(JoinLink(http.Request, store, checkoutId), QRCodeGenerator.ECCLevel.M);
        using var svg = new SvgQRCode(data);
        http.Response.Headers.CacheControl = "no-store";
        return Results.Text(svg.GetGraphic(6), "image/svg+xml");
    }
}
