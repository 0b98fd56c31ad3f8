using System.CommandLine;
using OrleansSettlement.Cli;

// `settle`: the command-line tool for partners and operators. Each group of commands
// lives in a file of its own under Commands/ and registers itself here.
var root = new RootCommand("OrleansSettlement: group checkouts settled all or nothing across banks.");
foreach (var command in CryptoCommands.Create())
{
    root.Subcommands.Add(command);
}

foreach (var command in ServiceCommands.Create())
{
    root.Subcommands.Add(command);
}

return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
