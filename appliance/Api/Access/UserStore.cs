using System.Text.RegularExpressions;
using Redoubt.Storage.State;

namespace Redoubt.Api.Access;

/// <summary>
/// Console users in the state store (collection "users", key = lower-cased name). Writes are
/// serialised so checks such as "the last admin stays" and "names are unique" hold.
/// </summary>
public sealed partial class UserStore(StateStore store, TimeProvider clock)
{
    private const string Collection = "users";
    private readonly SemaphoreSlim _write = new(1, 1);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")]
    private static partial Regex ValidName();

    public static string? NameProblem(string? name) =>
        name is not null && ValidName().IsMatch(name) ? null
            : "a user name is 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit";

    public bool AnyEnabledAdmin() => List().Any(u => u.Role == Roles.Admin && !u.Disabled);

    public bool TryGet(string name, out UserRecord user) => store.TryGet(Collection, Key(name), out user!);

    public IReadOnlyList<UserRecord> List() =>
        store.List<UserRecord>(Collection).Select(kv => kv.Value).OrderBy(u => u.Name, StringComparer.OrdinalIgnoreCase).ToList();

    public async Task<UserRecord> CreateAsync(string name, string role, string password, string createdBy, CancellationToken ct = default)
    {
        if (NameProblem(name) is { } bad) throw AccessException.BadRequest("invalid_user_name", bad);
        CheckRole(role);
        CheckPassword(password);
        var hash = PasswordHasher.Hash(password); // slow: outside the lock
        await _write.WaitAsync(ct);
        try
        {
            if (TryGet(name, out _)) throw AccessException.Conflict("user_exists", $"a user named '{name}' already exists");
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var user = new UserRecord { Name = name, Role = role, PasswordHash = hash, CreatedAtMs = now, CreatedBy = createdBy, PasswordChangedAtMs = now };
            await store.PutAsync(Collection, Key(name), user, ct);
            return user;
        }
        finally { _write.Release(); }
    }

    /// <summary>First-start setup: creates the first admin, only while there is no enabled admin.</summary>
    public async Task<UserRecord> CreateFirstAdminAsync(string name, string password, CancellationToken ct = default)
    {
        if (NameProblem(name) is { } bad) throw AccessException.BadRequest("invalid_user_name", bad);
        CheckPassword(password);
        var hash = PasswordHasher.Hash(password);
        await _write.WaitAsync(ct);
        try
        {
            if (AnyEnabledAdmin()) throw AccessException.Conflict("setup_done", "this appliance already has an admin; sign in instead");
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var user = new UserRecord { Name = name, Role = Roles.Admin, PasswordHash = hash, CreatedAtMs = now, CreatedBy = "setup", PasswordChangedAtMs = now };
            await store.PutAsync(Collection, Key(name), user, ct);
            return user;
        }
        finally { _write.Release(); }
    }

    public Task<UserRecord> SetPasswordAsync(string name, string password, CancellationToken ct = default)
    {
        CheckPassword(password);
        var hash = PasswordHasher.Hash(password);
        return UpdateAsync(name, u =>
        {
            u.PasswordHash = hash;
            u.PasswordChangedAtMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        }, ct);
    }

    /// <summary>Changes role and/or enabled state; refuses to leave the appliance without an enabled admin.</summary>
    public async Task<UserRecord> ChangeAsync(string name, string? role, bool? disabled, CancellationToken ct = default)
    {
        if (role is not null) CheckRole(role);
        await _write.WaitAsync(ct);
        try
        {
            var user = Get(name);
            var wasActiveAdmin = user.Role == Roles.Admin && !user.Disabled;
            if (role is not null) user.Role = role;
            if (disabled is { } d) user.Disabled = d;
            var isActiveAdmin = user.Role == Roles.Admin && !user.Disabled;
            if (wasActiveAdmin && !isActiveAdmin && !List().Any(u => u.Role == Roles.Admin && !u.Disabled && !SameName(u.Name, name)))
                throw AccessException.Conflict("last_admin", $"'{user.Name}' is the last enabled admin; make another user admin first");
            await store.PutAsync(Collection, Key(name), user, ct);
            return user;
        }
        finally { _write.Release(); }
    }

    public async Task<UserRecord> UpdateAsync(string name, Action<UserRecord> change, CancellationToken ct = default)
    {
        await _write.WaitAsync(ct);
        try
        {
            var user = Get(name);
            change(user);
            await store.PutAsync(Collection, Key(name), user, ct);
            return user;
        }
        finally { _write.Release(); }
    }

    private UserRecord Get(string name) =>
        TryGet(name, out var user) ? user : throw AccessException.NotFound("no_such_user", $"no user named '{name}'");

    private static void CheckRole(string role)
    {
        if (!Roles.IsKnown(role))
            throw AccessException.BadRequest("invalid_role", $"role '{role}' is not one of {string.Join(", ", Roles.All)}");
    }

    private static void CheckPassword(string password)
    {
        if (PasswordHasher.Weakness(password) is { } weak) throw AccessException.BadRequest("weak_password", weak);
    }

    private static bool SameName(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static string Key(string name) => name.ToLowerInvariant();
}
