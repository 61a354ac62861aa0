"""The calibration table: historical figures, what the shipped scenarios give, in range or not.

``python -m sim.calibration`` runs the shipped historical scenarios at their own seeds and
prints docs/calibration.md (``make docs`` regenerates it; a test checks that the committed file
is current). Each row is a target with its source, the model's value, the range that counts as
reproduced (±25% of the figure unless the source gives a range) and a verdict; where the model
cannot reach a figure, the row says why.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.engine.model import TradeModel
from sim.scenario import shipped
from sim.scenario.models import ModelOptions
from sim.scenario.provenance import MODEL_CONSTANTS, vary_flag


@dataclass(frozen=True)
class Row:
    """One calibration target."""

    figure: str
    source: str
    scenario: str
    lo: float
    hi: float
    measure: Callable[[dict[str, TradeModel]], float]
    unit: str = "%"
    why: str = ""  # why the model cannot reach it, when it does not


def _run(name: str, policy: bool = True) -> TradeModel:
    sc = shipped.load(name)
    return TradeModel(scenario=sc if policy else sc.without_policy(), rng=sc.seed).run()


def _step(m: TradeModel, day: dt.date) -> int:
    return m.spec.step_of(day)


def _event(m: TradeModel, event_id: str) -> int:
    return m.spec.step_of(next(e.at for e in m.spec.events if e.id == event_id))


def _stock_value(m: TradeModel, firm: str) -> np.ndarray:
    """Component stock at book cost per step, [steps] (units × the firm's average cost)."""
    f = m.world.firms.index(firm)
    comps = [c for c in range(len(m.world.components)) if m.world.bom[f, c] > 0]
    cost = m.state.firms.avg_cost[f]
    return sum(m.recorder.series("stock", "stock", f"{firm}/{m.world.components[c]}") * cost[c]
               for c in comps)


def _pct(x: float) -> float:
    return 100.0 * x


def _hik_report(r: dict[str, TradeModel]) -> float:
    m = r["hikvision_2019"]
    p, t = m.recorder.series("firm", "share_price", "Hikvision"), _event(m, "rumour")
    return _pct(p[t] / p[t - 1] - 1)


def _hik_inventory(r: dict[str, TradeModel]) -> float:
    m = r["hikvision_2019"]
    stock = _stock_value(m, "Hikvision")
    return _pct(stock[_step(m, dt.date(2019, 6, 30))] / stock[0] - 1)


def _hik_us(r: dict[str, TradeModel]) -> float:
    m = TradeModel(scenario=shipped.load("hikvision_2019"))
    f, us = m.world.firms.index("Hikvision"), m.world.regions.index("US")
    sales = m.state.markets.sales_by_region[f]
    return _pct(sales[us] / sales.sum())


def _hik_revenue(r: dict[str, TradeModel]) -> float:
    m, b = r["hikvision_2019"], r["hikvision_2019/base"]
    end = _step(m, dt.date(2019, 12, 30))
    rev = m.recorder.series("firm", "revenue", "Hikvision")[: end]
    base = b.recorder.series("firm", "revenue", "Hikvision")[: end]
    return _pct(rev.sum() / base.sum() - 1)


def _huawei_inventory(r: dict[str, TradeModel]) -> float:
    m = r["huawei_2019"]
    stock = _stock_value(m, "Huawei")
    return _pct(stock[_step(m, dt.date(2019, 12, 30))] / stock[_step(m, dt.date(2018, 12, 31))]
                - 1)


def _huawei_revenue(r: dict[str, TradeModel]) -> float:
    m = r["huawei_2019"]
    rev = m.recorder.series("firm", "revenue", "Huawei")
    y18 = slice(_step(m, dt.date(2018, 4, 2)), _step(m, dt.date(2018, 12, 31)))
    y19 = slice(_step(m, dt.date(2019, 4, 1)), _step(m, dt.date(2019, 12, 30)))
    return _pct(rev[y19].mean() / rev[y18].mean() - 1)


def _huawei_revenue_vs_base(r: dict[str, TradeModel]) -> float:
    m, b = r["huawei_2019"], r["huawei_2019/base"]
    y19 = slice(_step(m, dt.date(2019, 4, 1)), _step(m, dt.date(2019, 12, 30)))
    rev = m.recorder.series("firm", "revenue", "Huawei")[y19].sum()
    return _pct(rev / b.recorder.series("firm", "revenue", "Huawei")[y19].sum() - 1)


_HUAWEI_STOCK_WHY = (
    "the model holds components only, so both inventory rows measure the same stock: with the "
    "78-week CPU and FPGA targets kept under the strategy's 26 weeks (Nikkei: 1.5–2 years) it "
    "grows +90% over 2019, inside the total's range (+73%) and above raw materials' (+65%); "
    "Huawei's total also holds finished goods and work in progress, which the model's "
    "component stock cannot separate")


@functools.cache
def _nvidia_shipments() -> tuple[np.ndarray, np.ndarray]:
    """Value of Nvidia's data-centre chips (both lines) shipped per step: to China's firms,
    and to all (one run of chip_controls_2022, reading each link's shipments)."""
    sc = shipped.load("chip_controls_2022")
    m = TradeModel(scenario=sc, rng=sc.seed)
    w = m.world
    nvidia = [w.suppliers.index("Nvidia"), w.suppliers.index("NvidiaA800")]
    china, total = [], []
    while m.running:
        m.step()
        links = m.links  # (links are added as firms qualify new sources)
        nv = np.isin(links.supplier, nvidia)
        cn = w.firm_country[links.firm] == w.countries.index("CN")
        value = m.state.pipeline.shipped[: len(links.firm)] * w.supplier_price[links.supplier]
        china.append(float(value[nv & cn].sum()))
        total.append(float(value[nv].sum()))
    return np.array(china), np.array(total)


def _nvidia_china_share(first: dt.date, last: dt.date) -> Callable[[dict[str, TradeModel]],
                                                                   float]:
    """Share of Nvidia's data-centre chips shipped to China's firms, by value, between two
    dates (the steps starting on or after ``first`` and on or before ``last``)."""
    def measure(r: dict[str, TradeModel]) -> float:
        sc = shipped.load("chip_controls_2022")
        lo, hi = sc.step_of(first), sc.step_of(last)
        china, total = _nvidia_shipments()
        return _pct(china[lo:hi + 1].sum() / total[lo:hi + 1].sum())
    return measure


def _qorvo(r: dict[str, TradeModel]) -> float:
    m, b = r["huawei_2019"], r["huawei_2019/base"]
    t = _event(m, "listing")
    year = slice(t, t + 52)
    rev = m.recorder.series("supplier", "revenue", "Qorvo")[year].sum()
    return _pct(rev / b.recorder.series("supplier", "revenue", "Qorvo")[year].sum() - 1)


def _zte_stop(r: dict[str, TradeModel]) -> float:
    m = r["zte_2018"]
    out, t = m.recorder.series("firm", "output", "ZTE"), _event(m, "denial")
    before = out[t - 4: t].mean()
    stopped = np.flatnonzero(out[t:] < 0.2 * before)
    return float(7 * stopped[0]) if stopped.size else float("inf")


def _zte_resumed(r: dict[str, TradeModel]) -> float:
    m = r["zte_2018"]
    p = m.recorder.series("firm", "share_price", "ZTE")
    return _pct(p[_step(m, dt.date(2018, 6, 13))] / p[_event(m, "denial") - 1] - 1)


def _zte_operating(r: dict[str, TradeModel]) -> float:
    """Days from the July lift until ZTE makes 90% of its pre-denial output again."""
    m = r["zte_2018"]
    out, t = m.recorder.series("firm", "output", "ZTE"), _event(m, "denial")
    before, lift = out[t - 4: t].mean(), _event(m, "lifted")
    back = np.flatnonzero(out[lift:] >= 0.9 * before)
    return float(7 * back[0]) if back.size else float("inf")


def _zte_h1_loss(r: dict[str, TradeModel]) -> float:
    """ZTE's H1 2018 profit less the fines it paid, as a share of a steady year's revenue."""
    m = r["zte_2018"]
    end = _step(m, dt.date(2018, 6, 30)) + 1
    profit = m.recorder.series("firm", "profit", "ZTE")[:end].sum()
    fines = m.recorder.series("country", "fines", "US")[:end].sum()
    year = m.state.ref.revenue[m.world.firms.index("ZTE")] * 365.25 / 7
    return _pct((profit - fines) / year)


# -- chip controls: China's gallium exports (helper tiers) ---------------------------------
@functools.cache
def _gallium_exports(policy: bool) -> tuple[TradeModel, np.ndarray]:
    """ChinaGa's shipments to firms outside China per step (China's gallium exports)."""
    sc = shipped.load("chip_controls_2022")
    m = TradeModel(scenario=sc if policy else sc.without_policy(), rng=sc.seed)
    w, links = m.world, m.links
    cn, ga = w.countries.index("CN"), w.suppliers.index("ChinaGa")
    out = []
    while m.running:
        m.step()
        abroad = (links.supplier == ga) & (w.firm_country[links.firm] != cn)
        out.append(float(m.state.pipeline.shipped[abroad].sum()))
    return m, np.array(out)


def _ga_window(policy: bool, first: dt.date, last: dt.date) -> float:
    m, x = _gallium_exports(policy)
    return float(x[_step(m, first): _step(m, last) + 1].sum())


def _ga_front_running(r: dict[str, TradeModel]) -> float:
    july = _ga_window(True, dt.date(2023, 7, 3), dt.date(2023, 7, 31))
    june = _ga_window(True, dt.date(2023, 6, 5), dt.date(2023, 7, 2))
    return _pct(july / june - 1)


def _ga_against_base(first: dt.date, last: dt.date) -> float:
    return _pct(_ga_window(True, first, last) / _ga_window(False, first, last) - 1)


def _ga_august(r: dict[str, TradeModel]) -> float:
    return _ga_against_base(dt.date(2023, 8, 1), dt.date(2023, 8, 31))


def _ga_november(r: dict[str, TradeModel]) -> float:
    return _ga_against_base(dt.date(2023, 11, 1), dt.date(2023, 11, 30))


def _ga_recovery(r: dict[str, TradeModel]) -> float:
    return _ga_against_base(dt.date(2024, 8, 1), dt.date(2024, 8, 25))


GALLIUM_ROWS = (
    Row("China's gallium exports in July 2023 (announced 3 July) over June", "China customs "
        "via Yuan Talks: +372.6%", "chip_controls_2022", 279.5, 465.8, _ga_front_running,
        why="buyers' front-running shows (Qorvo stockpiles from the notice), but the model's "
            "Chinese refiner ships at capacity; China's exporters also shipped from refiners' "
            "and traders' stocks, which the scenario does not hold"),
    Row("China's gallium exports in August 2023 against no policy", "Reuters 2023-09-20, "
        "customs: none (7.67 t a year earlier)", "chip_controls_2022", -100.0, -75.0,
        _ga_august),
    Row("China's gallium exports in November 2023 against no policy", "customs via "
        "rawmaterials.net: 1,530 kg against 5,611 kg a year earlier, −72.7% (the licensed "
        "share 0.27 is set from it: this row checks that a licence caps a quantity)",
        "chip_controls_2022", -90.9, -54.5, _ga_november),
    Row("China's gallium exports in August 2024 against no policy", "customs via "
        "rawmaterials.net: 11,217 kg against 7,670 kg in August 2022, +46%",
        "chip_controls_2022", 34.5, 57.5, _ga_recovery,
        why="when licences return (June 2024) Qorvo rebuilds its 26-week stockpile target "
            "(a judgement) at the Chinese refiner's full capacity; real buyers rebuilt over "
            "months, and from other refiners too"),
)


ROWS = (
    Row("Hikvision's close on the May 2019 report", "Bloomberg, 2019-05-22: −5.5%",
        "hikvision_2019", -6.9, -4.1, _hik_report),
    Row("Hikvision's components inventory, H1 2019", "interim report 2019: +90%",
        "hikvision_2019", 67.5, 112.5, _hik_inventory,
        why="Hikvision's stockpiling began after the April 2018 ZTE order, before the "
            "scenario's calendar starts (2019-01-07), so in the model it starts at the May 2019 "
            "report; carrying 2018's risk in as a step-0 announcement (0.35: the ZTE order, "
            "NDAA s.889 of August 2018) gives +85%, but builds the stock before the report and "
            "takes the report's calibrated -5.5% close with it (-1.2%); see model.md"),
    Row("Hikvision's revenue from the US", "annual report 2019: under 5%", "hikvision_2019",
        0.0, 5.0, _hik_us),
    Row("Hikvision's 2019 revenue against no policy", "annual report 2019: not dented "
        "(+15.7% on 2018)", "hikvision_2019", -3.0, 3.0, _hik_revenue),
    # -- Huawei 2019: de-minimis supply, the renewed general licence, the documented stockpile
    Row("Huawei's inventory over 2019", "annual report 2019: CNY 96.5bn → 167.4bn, +73%",
        "huawei_2019", 54.8, 91.3, _huawei_inventory,
        why=_HUAWEI_STOCK_WHY + "; besides, the model's inventory is components only, and "
            "Huawei's finished goods doubled (CNY 26.3bn → 52.2bn)"),
    Row("Huawei's raw materials over 2019", "annual report 2019, note 20: CNY 35.4bn → "
        "58.5bn, +65%", "huawei_2019", 48.8, 81.4, _huawei_inventory, why=_HUAWEI_STOCK_WHY),
    Row("Huawei's revenue, Apr–Dec 2019 over Apr–Dec 2018", "annual report 2019: group "
        "+19.1%, carrier +3.8%", "huawei_2019", 2.9, 23.9, _huawei_revenue,
        why="the scenario's markets do not grow (its no-policy world is steady): the model "
            "can hold Huawei's revenue through 2019 (next row), not grow it with China's 5G "
            "build-out"),
    Row("Huawei's revenue, Apr–Dec 2019, against no policy", "annual report 2019: held "
        "(carrier +3.8%, group +19.1% on 2018)", "huawei_2019", -3.0, 3.0,
        _huawei_revenue_vs_base,
        why="China's first answer (June 2019), chosen by its whole score, bans 40% of Intel's "
            "foreign lines, Huawei's de-minimis source of CPUs: one step of flows shows "
            "Huawei re-sourcing from Phytium, whose growth later falls short"),
    Row("Qorvo's revenue in the year after the May 2019 listing, against no policy",
        "Qorvo guidance cut, May 2019: −6.3% (range 3–12% below)", "huawei_2019", -12.0, -3.0,
        _qorvo),
    # -- chip controls: the compliant A800/H800 until the October 2023 update
    Row("Nvidia's data-centre sales to China, Feb–Oct 2023 (A800/H800 and licensed)",
        "Nvidia Q3 FY2024, 2023-11-21: 20–25% of data-centre revenue", "chip_controls_2022",
        20.0, 25.0, _nvidia_china_share(dt.date(2023, 2, 1), dt.date(2023, 10, 16)),
        why="the scenario has one Chinese server maker and sizes its market, not Nvidia's "
            "China sales; its share is that of the no-policy world, which the compliant chips "
            "keep"),
    Row("Nvidia's data-centre sales to China after the October 2023 update, Nov 2023–Jan 2024",
        "Nvidia Q4 FY2024 results, 2024-02-21: a single-digit share of data-centre revenue",
        "chip_controls_2022", 1.0, 9.0,
        _nvidia_china_share(dt.date(2023, 11, 1), dt.date(2024, 1, 28))),
    Row("ZTE ceases major operations after the 2018-04-16 denial", "HKEX filing 2018-05-09: "
        "within 23 days", "zte_2018", 0.0, 28.75, _zte_stop, unit=" days",
        why="in the model ZTE produces at its full plan until its 3 weeks of cover and the 4 "
            "weeks in transit run out; ZTE halted at once, its suppliers stopping shipments "
            "in transit too"),
    Row("ZTE's share price when trading resumed (2018-06-13) against before the denial",
        "HKEX, 2018-06-13: −41%", "zte_2018", -51.25, -30.75, _zte_resumed,
        why="the model's share price prices expected (smoothed) operating profit, which a stop "
            "with fixed costs turns negative, so the index reaches 0 while ZTE is stopped: it "
            "has no term for the value of profits after the ban, which the market expected to "
            "be lifted (the fine and escrow were agreed on 2018-06-07), while the scenario's "
            "firm expects the order's seven-year term"),
    Row("ZTE operating again after the 2018-07-13 lift: days until output is 90% of its "
        "pre-denial level", "ZTE chairman at the AGM, Reuters 2018-08-28: production normal "
        "in August (within 49 days)", "zte_2018", 0.0, 61.25, _zte_operating, unit=" days",
        why="while stopped, ZTE's price rose with its unserved demand (the scarcity markup) "
            "and its demand forecast fell by half; after the lift parts arrive after the "
            "4-week lead time and price and forecast recover by partial adjustment (20% and "
            "25% a step), so output takes months; ZTE's customers waited for it"),
    Row("ZTE's H1 2018 net loss (fine included), share of a year's revenue",
        "ZTE interim report 2018: CNY 7.8bn loss on CNY 108.8bn 2017 revenue, −7.2%",
        "zte_2018", -8.96, -5.38, _zte_h1_loss,
        why="in the model ZTE stops 49 days after the denial, so only about 4 weeks of H1 "
            "are stopped against 10 in reality; the real loss also wrote down stock and "
            "contracts, which the model does not"),
) + GALLIUM_ROWS


@functools.cache
def results() -> list[tuple[Row, float]]:
    """Every row with the model's value (each scenario run once, with and without policy;
    computed once per process: the docs and their tests share it)."""
    runs: dict[str, TradeModel] = {}
    for name in sorted({row.scenario for row in ROWS}):
        runs[name] = _run(name)
        runs[f"{name}/base"] = _run(name, policy=False)
    return [(row, row.measure(runs)) for row in ROWS]


def render() -> str:
    """docs/calibration.md."""
    lines = [
        "# Calibration table",
        "",
        "*Generated by `python -m sim.calibration` (`make docs`) from runs of the shipped "
        "scenarios at their own seeds; do not edit by hand.* A figure counts as reproduced "
        "inside the range shown (±25% of the figure unless the source gives a range). Sources "
        "and the mechanisms behind each figure are in [model.md](model.md).",
        "",
        "| figure | source | scenario | model | range | reproduced |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row, value in results():
        ok = row.lo <= value <= row.hi
        verdict = "yes" if ok else ("no: " + row.why if row.why else "no")
        lines.append(f"| {row.figure} | {row.source} | `{row.scenario}` | "
                     f"{value:+.1f}{row.unit} | {row.lo:+.1f} to {row.hi:+.1f}{row.unit} | "
                     f"{verdict} |")
    return "\n".join(lines + [""] + constants_table()) + "\n"


def constants_table() -> list[str]:
    """The `model:` constants: default, basis, source or reason, and the sweep range."""
    defaults = ModelOptions()
    lines = [
        "## The behavioural constants of `model:`",
        "",
        "Each constant is either taken from a source (*source*) or our choice (*judgement*), "
        "from `sim/scenario/provenance.py`. A sweep should treat the *uncertain* ones as "
        "uncertain: the last column is a `chokepoint sweep` option that varies one over its "
        "plausible range.",
        "",
        "| constant | default | basis | source or reason | sweep |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, p in MODEL_CONSTANTS.items():
        sweep = f"`{vary_flag(name, p)}`" if p.uncertain else "fixed"
        lines.append(f"| `{name}` | {getattr(defaults, name):g} | {p.basis} | {p.why} | "
                     f"{sweep} |")
    return lines


if __name__ == "__main__":
    print(render(), end="")
