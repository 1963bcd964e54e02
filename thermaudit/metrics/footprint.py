"""Product carbon footprint of each SKU, cradle-to-gate, for the buyers' exports.

The footprint follows ISO 14067:2018 and the GHG Protocol Product Standard.

PCF of an SKU = its share of the site's scope 1 + scope 2 + its share of the upstream
emissions of the metal bought in the period, per kg of good output and per good piece,
location- and market-based.

Allocation
----------
- Scope 1 and 2: the rule of the energy metric (:func:`~thermaudit.metrics.energy.allocate`)
  applied to each meter's emissions: a line submeter's emissions go to the SKUs made on that
  line by processed mass, the rest of the site's emissions to all SKUs by processed mass.
- Metal: each ``metal_inputs`` row emits mass × (the supplier's declared direct + indirect
  embedded emissions, when it declares both) or × the default factor of its material group,
  form and country (``metal_factors.csv``; a country row before the ``*`` row). The metal of
  a material group goes to the SKUs of that group by processed (cast) mass: the metal each
  SKU consumed. Purchased scrap enters burden-free (recycled content method).

A metal input without a declaration and without a default factor, or of an alloy no material
group matches, is left out with a warning finding; the SKUs it would reach are marked
incomplete. Without ``metal_inputs`` the footprint is gate-to-gate and says so.

The SKU totals add up to the site's totals: Σ SKU scope 1+2 = scope 1 + scope 2, Σ SKU
metal = the allocated metal emissions (the rest is reported as ``metal_unallocated_t``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from thermaudit.metrics import energy as en
from thermaudit.metrics.context import Context
from thermaudit.metrics.melting import material_for
from thermaudit.quality.findings import Finding, finding
from thermaudit.reference import table

#: the standards the footprint follows
STANDARDS = ("ISO 14067:2018", "GHG Protocol Product Standard")

#: material group of ``materials.csv`` → product material of ``site.yaml``
PRODUCT_MATERIAL = {
    "aluminium": "aluminium_alloy",
    "zinc": "zinc_alloy",
    "magnesium": "magnesium_alloy",
    "cast_iron": "cast_iron",
    "cast_steel": "cast_steel",
}


#: a material group's name (en, zh, ko)
GROUP_LABEL = {
    "aluminium": ("aluminium", "铝", "알루미늄"),
    "zinc": ("zinc", "锌", "아연"),
    "magnesium": ("magnesium", "镁", "마그네슘"),
    "cast_iron": ("cast iron", "铸铁", "주철"),
    "cast_steel": ("cast steel", "铸钢", "주강"),
}
#: a metal input's form (en, zh, ko)
FORM_LABEL = {
    "primary_ingot": ("primary ingot", "原生锭", "1차 잉곳"),
    "secondary_ingot": ("secondary (recycled) ingot", "再生锭", "재생 잉곳"),
    "purchased_scrap": ("purchased scrap", "外购废料", "구매 스크랩"),
    "master_alloy": ("master alloy", "中间合金", "모합금"),
}


def metal_label(group: str, form: str | None = None) -> tuple[str, str, str]:
    """Name a metal input in English, Chinese and Korean ("aluminium, primary ingot")."""
    g = GROUP_LABEL.get(group, (group, group, group))
    if form is None:
        return g
    f = FORM_LABEL[form]
    return (f"{g[0]}, {f[0]}", f"{g[1]}{f[1]}", f"{g[2]} {f[2]}")


@dataclass(frozen=True)
class MetalLine:
    """The metal inputs of one kind in the period and their upstream emissions."""

    group: str
    form: str
    country: str
    supplier: str
    mass_t: float
    tco2e: float
    declared: bool
    factor: float
    source: str
    #: the supplier's declared direct and indirect parts [tCO2e/t] (``None`` for a default)
    direct: float | None = None
    indirect: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Write the line as ``assessment.json`` holds it."""
        return {
            "group": self.group,
            "form": self.form,
            "country": self.country,
            "supplier": self.supplier,
            "mass_t": self.mass_t,
            "tco2e": self.tco2e,
            "declared": self.declared,
            "tco2e_per_t": self.factor,
            "direct_tco2e_per_t": self.direct,
            "indirect_tco2e_per_t": self.indirect,
            "source": self.source,
        }


def default_factor(group: str, form: str, country: str) -> dict[str, Any] | None:
    """Find the default factor row of ``metal_factors.csv`` for a metal input.

    The row of its country, else the row for every country (``*``), else ``None``.
    """
    rows = [r for r in table("metal_factors") if r["group"] == group and r["form"] == form]
    for wanted in (country, "*"):
        for r in rows:
            if r["country"] == wanted:
                return r
    return None


def product_footprint(ctx: Context) -> tuple[dict[str, Any], list[Finding]]:
    """Compute the ``product_footprint`` section of ``assessment.json`` and its findings.

    Returns
    -------
    dict
        ``boundary`` (``cradle-to-gate`` or ``gate-to-gate``), ``standards``, ``site``
        (scope 1, scope 2 location/market, metal emissions [tCO2e]), ``metal`` (one line per
        material group, form, country and supplier) and ``by_sku``: per SKU the shares
        [tCO2e], the footprint per kg of good output [kgCO2e/kg] and per good piece
        [kgCO2e/piece], location- and market-based, and the share of primary data.
    """
    site, coef, output = ctx.site, ctx.coef, ctx.output
    findings: list[Finding] = []
    green_kwh, _ = en.green_certificate_kwh(
        ctx.rows("green_certificates"), site.period.start, site.period.end
    )
    carb, _missing = en.carbon(site, ctx.cons, coef, green_kwh)
    loc_total = carb.scope1_t + carb.scope2_location_t
    mkt_total = carb.scope1_t + carb.scope2_market_t
    elec = carb.electricity_net_kwh
    market_ratio = max(0.0, elec - green_kwh) / elec if elec > 0 else 0.0

    loc_meter: dict[str, float] = {}
    mkt_meter: dict[str, float] = {}
    for m in site.meters:
        q = ctx.cons[m.id].consumption
        kind = en.emission_kind(m, ctx.cons[m.id])
        if kind == "electricity":
            t = q * coef.grid_factor / 1000.0
            loc_meter[m.id], mkt_meter[m.id] = t, t * market_ratio
        elif kind == "heat":
            loc_meter[m.id] = mkt_meter[m.id] = q * coef.heat_kgco2_per_gj / 1000.0
        else:
            ef = coef.kgco2_per_unit_fuel(m)
            loc_meter[m.id] = mkt_meter[m.id] = q * ef / 1000.0 if ef is not None else 0.0
    loc = en.share_by_mass(site, loc_meter, loc_total, output).by_sku_kgce
    mkt = en.share_by_mass(site, mkt_meter, mkt_total, output).by_sku_kgce
    # the electricity part of each SKU's share (indirect emissions of CBAM) and its MWh
    elec_meter = {
        m.id: loc_meter[m.id] if en.emission_kind(m, ctx.cons[m.id]) == "electricity" else 0.0
        for m in site.meters
    }
    kwh_meter = {m.id: ctx.cons[m.id].consumption if elec_meter[m.id] else 0.0 for m in site.meters}
    elec_t = en.share_by_mass(site, elec_meter, elec * coef.grid_factor / 1000.0, output)
    elec_kwh = en.share_by_mass(site, kwh_meter, elec, output).by_sku_kgce

    has_metal = ctx.dataset.has("metal_inputs")
    lines, incomplete_groups = _metal_lines(ctx, findings) if has_metal else ([], set())
    metal, metal_default, metal_share, unallocated = _allocate_metal(ctx, lines, findings)

    products = {p.sku: p for p in site.products}
    by_sku: dict[str, Any] = {}
    for sku, o in output.items():
        p = products[sku]
        group = _group_of(p.material)
        total_loc = loc[sku] + metal[sku]
        total_mkt = mkt[sku] + metal[sku]
        kg = o.good_mass_t * 1000.0
        by_sku[sku] = {
            "name": p.name,
            "name_en": p.name_en,
            "material": p.material,
            "cn_code": p.cn_code,
            "good_qty": o.good_qty,
            "good_mass_t": o.good_mass_t,
            "unit_mass_kg": p.unit_mass_kg,
            "scope12_location_t": loc[sku],
            "scope12_market_t": mkt[sku],
            "electricity_t": elec_t.by_sku_kgce[sku],
            "electricity_mwh": elec_kwh[sku] / 1000.0,
            "processed_mass_t": o.processed_mass_t,
            "metal_share": metal_share[sku],
            "metal_t": metal[sku],
            "metal_default_t": metal_default[sku],
            "total_location_t": total_loc,
            "total_market_t": total_mkt,
            "kgco2e_per_kg_location": total_loc * 1000.0 / kg if kg > 0 else None,
            "kgco2e_per_kg_market": total_mkt * 1000.0 / kg if kg > 0 else None,
            "kgco2e_per_piece_location": (
                total_loc * 1000.0 / o.good_qty if o.good_qty > 0 else None
            ),
            "kgco2e_per_piece_market": (
                total_mkt * 1000.0 / o.good_qty if o.good_qty > 0 else None
            ),
            "primary_data_share": (
                (total_loc - metal_default[sku]) / total_loc if total_loc > 0 else None
            ),
            "default_share": metal_default[sku] / total_loc if total_loc > 0 else None,
            "complete": has_metal and group is not None and group not in incomplete_groups,
        }
    if not has_metal:
        findings.append(finding("quality.footprint.gate_to_gate"))
    metal_t = sum(x.tco2e for x in lines)
    section = {
        "boundary": "cradle-to-gate" if has_metal else "gate-to-gate",
        "standards": list(STANDARDS),
        "allocation": "processed mass (line submeters to their line's SKUs; metal by group)",
        "site": {
            "scope1_t": carb.scope1_t,
            "scope2_location_t": carb.scope2_location_t,
            "scope2_market_t": carb.scope2_market_t,
            "metal_t": metal_t,
            "metal_default_t": sum(x.tco2e for x in lines if not x.declared),
            "metal_unallocated_t": unallocated,
            "metal_mass_t": sum(x.mass_t for x in lines),
            "total_location_t": loc_total + metal_t,
            "total_market_t": mkt_total + metal_t,
        },
        "metal": [x.as_dict() for x in lines],
        "by_sku": by_sku,
    }
    return section, findings


def _group_of(material: str) -> str | None:
    for group, product_material in PRODUCT_MATERIAL.items():
        if product_material == material:
            return group
    return None


def _metal_lines(ctx: Context, findings: list[Finding]) -> tuple[list[MetalLine], set[str]]:
    """Sum the period's metal inputs by group, form, country, supplier and factor."""
    start, end = ctx.site.period.start, ctx.site.period.end
    acc: dict[tuple[Any, ...], float] = {}
    incomplete: set[str] = set()
    outside = 0
    unknown: dict[str, list[float]] = {}
    no_default: dict[tuple[str, str, str], list[float]] = {}
    partial = 0
    for r in ctx.rows("metal_inputs"):
        if not start <= r["date"] <= end:
            outside += 1
            continue
        mat = material_for(str(r["material"]))
        mass_t = r["mass_kg"] / 1000.0
        if mat is None or mat.group not in PRODUCT_MATERIAL:
            unknown.setdefault(str(r["material"]), []).append(mass_t)
            continue
        direct, indirect = r["see_direct_tco2_per_t"], r["see_indirect_tco2_per_t"]
        if direct is not None and indirect is not None:
            key = (
                mat.group,
                r["form"],
                r["country"],
                r["supplier"],
                True,
                direct + indirect,
                direct,
                indirect,
            )
            source = r.get("evidence") or ""
        else:
            partial += direct is not None or indirect is not None
            row = default_factor(mat.group, r["form"], r["country"])
            if row is None:
                no_default.setdefault((mat.group, r["form"], r["country"]), []).append(mass_t)
                incomplete.add(mat.group)
                continue
            key = (
                mat.group,
                r["form"],
                r["country"],
                r["supplier"],
                False,
                float(row["tco2e_per_t"]),
                None,
                None,
            )
            source = str(row["source"])
        full = (*key, source)
        acc[full] = acc.get(full, 0.0) + mass_t
    if outside:
        findings.append(
            finding("quality.reading.outside_period", table="metal_inputs", count=outside)
        )
    for material, masses in sorted(unknown.items()):
        findings.append(
            finding(
                "quality.metal.unknown_alloy",
                material=material,
                rows=len(masses),
                mass_t=sum(masses),
            )
        )
        incomplete.update(PRODUCT_MATERIAL)
    for (group, form, country), masses in sorted(no_default.items()):
        en_, zh_, ko_ = metal_label(group, form)
        findings.append(
            finding(
                "quality.metal.no_default",
                group=group,
                form=form,
                metal=en_,
                metal_zh=zh_,
                metal_ko=ko_,
                country=country,
                rows=len(masses),
                mass_t=sum(masses),
            )
        )
    if partial:
        findings.append(finding("quality.metal.partial_declaration", rows=partial))
    lines = [
        MetalLine(g, f, c, s, mass, mass * factor, declared, factor, src, d, i)
        for (g, f, c, s, declared, factor, d, i, src), mass in sorted(
            acc.items(), key=lambda kv: tuple(str(x) for x in kv[0])
        )
    ]
    for x in lines:
        if not x.declared:
            en_, zh_, ko_ = metal_label(x.group, x.form)
            findings.append(
                finding(
                    "quality.metal.default_used",
                    group=x.group,
                    form=x.form,
                    metal=en_,
                    metal_zh=zh_,
                    metal_ko=ko_,
                    country=x.country,
                    mass_t=x.mass_t,
                    factor=x.factor,
                )
            )
    return lines, incomplete


def _allocate_metal(
    ctx: Context, lines: list[MetalLine], findings: list[Finding]
) -> tuple[dict[str, float], dict[str, float], dict[str, float], float]:
    """Share each group's metal emissions among its SKUs by processed mass.

    Returns the SKUs' metal emissions, the part of them from default factors [tCO2e], each
    SKU's share of its group's metal, and the emissions of groups no SKU of the period was
    made of [tCO2e].
    """
    products = {p.sku: p for p in ctx.site.products}
    metal = {sku: 0.0 for sku in ctx.output}
    default = {sku: 0.0 for sku in ctx.output}
    shares = {sku: 0.0 for sku in ctx.output}
    unallocated = 0.0
    by_group: dict[str, list[MetalLine]] = {}
    for x in lines:
        by_group.setdefault(x.group, []).append(x)
    for group, group_lines in sorted(by_group.items()):
        skus = [
            o
            for sku, o in ctx.output.items()
            if products[sku].material == PRODUCT_MATERIAL[group] and o.processed_mass_t > 0
        ]
        mass = sum(o.processed_mass_t for o in skus)
        t = sum(x.tco2e for x in group_lines)
        t_default = sum(x.tco2e for x in group_lines if not x.declared)
        if mass <= 0:
            unallocated += t
            en_, zh_, ko_ = metal_label(group)
            findings.append(
                finding(
                    "quality.metal.no_product",
                    group=group,
                    metal=en_,
                    metal_zh=zh_,
                    metal_ko=ko_,
                    mass_t=sum(x.mass_t for x in group_lines),
                    tco2e=t,
                )
            )
            continue
        for o in skus:
            share = o.processed_mass_t / mass
            shares[o.sku] = share
            metal[o.sku] += t * share
            default[o.sku] += t_default * share
    return metal, default, shares, unallocated


def buyer_shares(
    ctx: Context, by_sku: dict[str, Any], energy_kgce: dict[str, float]
) -> tuple[list[dict[str, Any]], list[Finding]]:
    """Compute what each customer's deliveries of the period embody.

    The figure a buyer puts in its own scope 3 category 1.

    Per customer and SKU: pieces delivered × the SKU's footprint per piece (location- and
    market-based) [tCO2e] and × its energy per good piece (``energy_kgce`` of the energy
    metric / good pieces) [kgce, MWh]. A delivery of an SKU that made no good piece in the
    period has no per-piece figure: it is listed without one, with a warning.
    """
    start, end = ctx.site.period.start, ctx.site.period.end
    acc: dict[tuple[str, str], float] = {}
    outside = 0
    for r in ctx.rows("deliveries"):
        if not start <= r["date"] <= end:
            outside += 1
            continue
        key = (str(r["customer"]), str(r["sku"]))
        acc[key] = acc.get(key, 0.0) + float(r["qty"])
    findings: list[Finding] = []
    if outside:
        findings.append(
            finding("quality.reading.outside_period", table="deliveries", count=outside)
        )
    customers: dict[str, dict[str, Any]] = {}
    missing: dict[str, float] = {}
    for (customer, sku), qty in sorted(acc.items()):
        v = by_sku.get(sku)
        c = customers.setdefault(
            customer,
            {
                "customer": customer,
                "skus": [],
                "tco2e_location": 0.0,
                "tco2e_market": 0.0,
                "energy_kgce": 0.0,
                "complete": True,
            },
        )
        line: dict[str, Any] = {"sku": sku, "pieces": qty}
        if v is None or not v["good_qty"]:
            missing[sku] = missing.get(sku, 0.0) + qty
            c["complete"] = False
            line.update(tco2e_location=None, tco2e_market=None, energy_kgce=None)
        else:
            per_kgce = energy_kgce.get(sku, 0.0) / v["good_qty"]
            line.update(
                tco2e_location=qty * v["kgco2e_per_piece_location"] / 1000.0,
                tco2e_market=qty * v["kgco2e_per_piece_market"] / 1000.0,
                energy_kgce=qty * per_kgce,
            )
            c["tco2e_location"] += line["tco2e_location"]
            c["tco2e_market"] += line["tco2e_market"]
            c["energy_kgce"] += line["energy_kgce"]
        c["skus"].append(line)
    for c in customers.values():
        c["energy_mwh"] = c["energy_kgce"] * ctx.coef.kgce_mj / 3600.0  # MJ → MWh
    for sku, qty in sorted(missing.items()):
        findings.append(finding("quality.delivery.no_output", sku=sku, pieces=qty))
    return list(customers.values()), findings
