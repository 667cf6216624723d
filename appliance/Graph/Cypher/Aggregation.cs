namespace Redoubt.Graph.Cypher;

internal enum AggregateKind { CountStar, Count, Collect, Sum, Avg, Min, Max, StDev, StDevP, PercentileDisc, PercentileCont }

/// <summary>One aggregate call in a projection: what it computes, over which argument, into which hidden slot.</summary>
internal sealed record AggregateSpec(AggregateKind Kind, bool Distinct, Eval? Argument, Eval? Percentile, int Slot, string Text);

/// <summary>
/// WITH/RETURN with aggregates: groups rows by the grouping items (equivalence: null with null),
/// one accumulator per aggregate per group, in first-seen group order. No grouping items and no
/// rows still gives one row (count 0, collect [], sum 0, others null).
/// </summary>
internal sealed class AggregateOp(Op input, (Eval Eval, int Slot)[] keys, AggregateSpec[] aggregates) : Op
{
    public override Op Input => input;

    public override IEnumerable<bool> Run(ExecutionContext ctx)
    {
        var groups = new Dictionary<Value[], Accumulator[]>(Values.EquivalenceComparer.Instance);
        var order = new List<Value[]>();
        long held = 0;
        try
        {
            foreach (var _ in input.Run(ctx))
            {
                ctx.Spend();
                var key = new Value[keys.Length];
                for (var i = 0; i < keys.Length; i++) key[i] = keys[i].Eval(ctx);
                if (!groups.TryGetValue(key, out var accs))
                {
                    accs = New();
                    groups.Add(key, accs);
                    order.Add(key);
                    ctx.Hold();
                    held++;
                }
                for (var i = 0; i < aggregates.Length; i++)
                {
                    var spec = aggregates[i];
                    if (spec.Kind == AggregateKind.CountStar) { accs[i].AddCountStar(); continue; }
                    var v = spec.Argument!(ctx);
                    if (v.IsNull) continue;
                    if (spec.Kind is AggregateKind.PercentileDisc or AggregateKind.PercentileCont && accs[i].Percentile is null)
                        accs[i].Percentile = CheckPercentile(spec.Percentile!(ctx));
                    if (accs[i].Add(ctx, v)) { held++; }
                }
            }
            if (order.Count == 0 && keys.Length == 0)
            {
                order.Add([]);
                groups.Add([], New());
            }
            foreach (var key in order)
            {
                for (var i = 0; i < keys.Length; i++) ctx.Row[keys[i].Slot] = key[i];
                var accs = groups[key];
                for (var i = 0; i < aggregates.Length; i++) ctx.Row[aggregates[i].Slot] = accs[i].Result(ctx);
                yield return true;
            }
        }
        finally { ctx.Release(held); }

        Accumulator[] New()
        {
            var a = new Accumulator[aggregates.Length];
            for (var i = 0; i < a.Length; i++) a[i] = new Accumulator(aggregates[i].Kind, aggregates[i].Distinct);
            return a;
        }
    }

    private static double CheckPercentile(Value p)
    {
        if (!p.IsNumber) throw CypherException.Argument("InvalidArgumentValue", $"a percentile is a number from 0.0 to 1.0, got {p.KindName()}");
        var d = p.AsDouble;
        if (d is < 0 or > 1 || double.IsNaN(d)) throw CypherException.Argument("NumberOutOfRange", $"a percentile is from 0.0 to 1.0, got {Values.FormatFloat(d)}");
        return d;
    }

    public override string Describe() => $"Aggregate by {keys.Length} keys: {string.Join(", ", aggregates.Select(a => a.Text))}";
}

/// <summary>The running state of one aggregate in one group.</summary>
internal sealed class Accumulator(AggregateKind kind, bool distinct)
{
    private HashSet<Value>? _seen = distinct ? new HashSet<Value>(Values.EquivalenceComparer.Instance) : null;
    private long _count;
    private long _intSum;
    private double _floatSum;
    private bool _isFloat;
    private Value _best = Value.Null;
    private List<Value>? _items;
    public double? Percentile;

    public void AddCountStar() => _count++;

    /// <summary>Adds a non-null value; true when it was kept in memory (collect, distinct, percentiles).</summary>
    public bool Add(ExecutionContext ctx, Value v)
    {
        var kept = false;
        if (_seen is not null)
        {
            if (!_seen.Add(v)) return false;
            ctx.Hold();
            kept = true;
        }
        switch (kind)
        {
            case AggregateKind.Count:
                _count++;
                break;
            case AggregateKind.Collect:
            case AggregateKind.StDev:
            case AggregateKind.StDevP:
            case AggregateKind.PercentileDisc:
            case AggregateKind.PercentileCont:
                if (kind != AggregateKind.Collect && !v.IsNumber) throw NotNumber(v);
                (_items ??= []).Add(v);
                ctx.Hold();
                kept = true;
                break;
            case AggregateKind.Sum:
            case AggregateKind.Avg:
                if (!v.IsNumber) throw NotNumber(v);
                _count++;
                if (v.Kind == ValueKind.Float || _isFloat)
                {
                    if (!_isFloat) { _floatSum = _intSum; _isFloat = true; }
                    _floatSum += v.AsDouble;
                }
                else
                {
                    try { _intSum = checked(_intSum + v.AsInt); }
                    catch (OverflowException) { throw CypherException.Argument("NumberOutOfRange", "sum() of integers overflows 64 bits"); }
                }
                break;
            case AggregateKind.Min:
                if (_best.IsNull || Values.Order(v, _best) < 0) _best = v;
                break;
            case AggregateKind.Max:
                if (_best.IsNull || Values.Order(v, _best) > 0) _best = v;
                break;
        }
        return kept;
    }

    private CypherException NotNumber(Value v) =>
        CypherException.Type("InvalidArgumentType", $"{kind.ToString().ToLowerInvariant()}() needs numbers, got {v.KindName()}");

    /// <param name="ctx">Its budget is checked while a percentile sorts its values.</param>
    public Value Result(ExecutionContext ctx)
    {
        switch (kind)
        {
            case AggregateKind.CountStar:
            case AggregateKind.Count: return Value.Int(_count);
            case AggregateKind.Collect: return _items is null ? Value.EmptyList : Value.List(_items.ToArray());
            case AggregateKind.Sum: return _isFloat ? Value.Float(_floatSum) : Value.Int(_intSum);
            case AggregateKind.Avg:
                if (_count == 0) return Value.Null;
                // Integers are summed exactly; the mean of integers is a float.
                return Value.Float((_isFloat ? _floatSum : _intSum) / _count);
            case AggregateKind.Min:
            case AggregateKind.Max: return _best;
            case AggregateKind.StDev:
            case AggregateKind.StDevP:
            {
                var xs = _items?.Select(x => x.AsDouble).ToArray() ?? [];
                var n = xs.Length;
                var denominator = kind == AggregateKind.StDev ? n - 1 : n;
                if (denominator <= 0) return Value.Float(0);
                var mean = xs.Average();
                return Value.Float(Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / denominator));
            }
            default:
            {
                if (_items is null || _items.Count == 0) return Value.Null;
                var sorted = _items.ToList();
                ctx.Hold(sorted.Count); // the sorted copy, for as long as it lives
                BudgetedSort.Sort(sorted, (a, b) => { ctx.Tick(); return a.AsDouble.CompareTo(b.AsDouble); });
                ctx.Release(sorted.Count);
                var p = Percentile ?? 0;
                if (kind == AggregateKind.PercentileDisc)
                {
                    var idx = p == 0 ? 0 : (int)Math.Ceiling(p * sorted.Count) - 1;
                    return sorted[Math.Clamp(idx, 0, sorted.Count - 1)];
                }
                var pos = p * (sorted.Count - 1);
                var lo = (int)Math.Floor(pos);
                var hi = (int)Math.Ceiling(pos);
                var frac = pos - lo;
                return Value.Float(sorted[lo].AsDouble + (sorted[hi].AsDouble - sorted[lo].AsDouble) * frac);
            }
        }
    }
}
