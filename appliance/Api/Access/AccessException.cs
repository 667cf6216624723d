namespace Redoubt.Api.Access;

/// <summary>
/// A refused access operation with a stable code for clients (<see cref="Code"/>) and a message a
/// person can act on. Endpoints turn it into a JSON error; the CLI prints the message.
/// </summary>
public sealed class AccessException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;

    public static AccessException BadRequest(string code, string message) => new(400, code, message);
    public static AccessException NotFound(string code, string message) => new(404, code, message);
    public static AccessException Conflict(string code, string message) => new(409, code, message);
}
