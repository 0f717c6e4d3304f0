"""Invalid policy files made by mutating the shipped default file (issue 7).

Every mutation must give :class:`PolicyConfigError` with the key path of the
mutated spot (``routing.rules[3].department``), never another exception. Where a
mutation may happen and what it must break is read from the file's JSON Schema,
so these tests also hold the schema to what the loader accepts.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales_core import PolicyConfigError
from aftersales_core.policies import PolicySet, PolicyVersions, dump_policies, load_policies, policy_schema
from aftersales_core.policies.config import DEFAULTS_FILE

SCHEMA = policy_schema()
BASE: dict[str, Any] = json.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` and take the non-null branch of ``X | None``."""
    while True:
        if "$ref" in node:
            node = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]]
        elif "anyOf" in node and {"type": "null"} in node["anyOf"]:
            (node,) = [n for n in node["anyOf"] if n != {"type": "null"}]
        else:
            return node


@attrs.frozen
class Site:
    """A spot of the file: how to reach it, its key path as errors name it, its schema."""

    keys: tuple[Any, ...]
    path: str
    schema: dict[str, Any]
    null: bool = False  # the file has null there

    @property
    def shape(self) -> str:
        s = self.schema
        if self.null:
            return "null"
        if "properties" in s:
            return "model"
        if s.get("type") == "object":
            return "mapping"
        if s.get("type") == "array":
            return "list"
        return "leaf"


def sites(data: Any, node: dict[str, Any], keys: tuple[Any, ...] = (), path: str = "") -> Iterator[Site]:
    node = resolve(node)
    site = Site(keys, path, node, null=data is None)
    yield site
    if site.shape == "model":
        for name, value in data.items():
            yield from sites(
                value, node["properties"][name], (*keys, name), f"{path}.{name}" if path else name
            )
    elif site.shape == "mapping":
        for name, value in data.items():
            yield from sites(value, node["additionalProperties"], (*keys, name), f"{path}[{name!r}]")
    elif site.shape == "list":
        for i, value in enumerate(data):
            yield from sites(value, node["items"], (*keys, i), f"{path}[{i}]")


SITES = [s for s in sites(BASE, SCHEMA) if s.keys]


def mutated(keys: tuple[Any, ...], change: Any) -> dict[str, Any]:
    """A copy of the default file with ``change(container, key)`` applied at ``keys``."""
    data = copy.deepcopy(BASE)
    target: Any = data
    for key in keys[:-1]:
        target = target[key]
    change(target, keys[-1])
    return data


def refused_at(data: dict[str, Any]) -> PolicyConfigError:
    with pytest.raises(PolicyConfigError) as err:
        load_policies(data)
    return err.value


def test_the_walk_sees_every_kind_of_spot() -> None:
    shapes = {s.shape for s in SITES}
    assert shapes == {"model", "mapping", "list", "leaf", "null"}
    paths = {s.path for s in SITES}
    assert "routing.rules[3].department" in paths
    assert "sla.targets['repair.remote'].workdays" in paths
    assert "permissions.amount_limits['part']['manager']" in paths
    assert len(SITES) > 300


def test_the_unmutated_file_loads() -> None:
    assert load_policies(BASE) == PolicySet()


@settings(max_examples=250, deadline=None)
@given(site=st.sampled_from(SITES))
def test_a_value_of_the_wrong_type_is_refused_at_its_key_path(site: Site) -> None:
    wrong: Any = {"not": "a list"} if site.shape == "list" else [[]]

    def change(container: Any, key: Any) -> None:
        container[key] = wrong

    err = refused_at(mutated(site.keys, change))
    assert err.path == site.path, str(err)


MODELS = [s for s in SITES if s.shape == "model"] + [Site((), "", resolve(SCHEMA))]


@settings(max_examples=100, deadline=None)
@given(site=st.sampled_from(MODELS), name=st.sampled_from(["zz_typo", "Version", "rule_", "默认"]))
def test_an_unknown_key_is_refused_at_its_key_path(site: Site, name: str) -> None:
    data = copy.deepcopy(BASE)
    target: Any = data
    for key in site.keys:
        target = target[key]
    target[name] = "x"
    err = refused_at(data)
    assert err.path == (f"{site.path}.{name}" if site.path else name), str(err)
    assert err.reason.startswith("unknown key; expected one of: ")


REQUIRED = [(s, name) for s in MODELS for name in s.schema.get("required", ())]


def test_required_keys_are_listed_by_the_schema() -> None:
    names = {(s.schema["title"], name) for s, name in REQUIRED}
    assert ("RouteModel", "department") in names
    assert ("FeeItemModel", "unit_charge") in names
    assert ("PermitModel", "roles") in names


@settings(max_examples=100, deadline=None)
@given(pick=st.sampled_from(REQUIRED))
def test_a_missing_required_key_is_refused_at_its_key_path(pick: tuple[Site, str]) -> None:
    site, name = pick

    def change(container: Any, key: Any) -> None:
        del container[key][name]

    err = refused_at(mutated(site.keys, change))
    assert (err.path, err.reason) == (f"{site.path}.{name}", "required key missing"), str(err)


ENUMS = [s for s in SITES if "enum" in s.schema]
ENUM_KEYED = [
    s
    for s in SITES
    if s.shape == "mapping" and "enum" in resolve(s.schema.get("propertyNames", {})) and s.keys
]


@settings(max_examples=100, deadline=None)
@given(site=st.sampled_from(ENUMS), value=st.sampled_from(["qa", "", "QUALITY", "smart equipment"]))
def test_a_value_outside_its_enumeration_is_refused(site: Site, value: str) -> None:
    def change(container: Any, key: Any) -> None:
        container[key] = value

    err = refused_at(mutated(site.keys, change))
    assert err.path == site.path, str(err)
    assert err.reason.startswith(f"unknown value {value!r}; expected ")


@settings(max_examples=50, deadline=None)
@given(site=st.sampled_from(ENUM_KEYED), data=st.data())
def test_a_mapping_key_outside_its_enumeration_is_refused(site: Site, data: st.DataObject) -> None:
    mapping = BASE
    for key in site.keys:
        mapping = mapping[key]
    old = data.draw(st.sampled_from(sorted(mapping)))

    def change(container: Any, key: Any) -> None:
        container[key]["bogus"] = container[key].pop(old)

    err = refused_at(mutated(site.keys, change))
    assert err.path == f"{site.path}['bogus']", str(err)
    assert err.reason.startswith("invalid key: unknown value 'bogus'")


BOUNDED = [s for s in SITES if s.schema.get("type") == "integer" and "minimum" in s.schema]


@settings(max_examples=50, deadline=None)
@given(site=st.sampled_from(BOUNDED), below=st.integers(min_value=1, max_value=10**6))
def test_a_number_below_its_minimum_is_refused(site: Site, below: int) -> None:
    def change(container: Any, key: Any) -> None:
        container[key] = site.schema["minimum"] - below

    err = refused_at(mutated(site.keys, change))
    assert err.path == site.path, str(err)
    assert "greater than or equal to" in err.reason


AMOUNTS = [s for s in SITES if s.schema.get("pattern", "").startswith(r"^\d+")]


@settings(max_examples=50, deadline=None)
@given(
    site=st.sampled_from(AMOUNTS),
    value=st.sampled_from([1.5, "-3", "12.345", "abc", "Infinity", True, None, "1e99"]),
)
def test_an_amount_that_is_not_exact_money_is_refused(site: Site, value: Any) -> None:
    def change(container: Any, key: Any) -> None:
        container[key] = value

    err = refused_at(mutated(site.keys, change))
    assert err.path == site.path, str(err)


# --------------------------------------------------------------------------- anything at all

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True)
    | st.decimals(allow_nan=True)
    | st.text(max_size=12)
    | st.sampled_from(["2026-07-01", "08:30", "quality", "agent", "rnd", "12.00", "smart_equipment"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(site=st.sampled_from(SITES), value=json_values, delete=st.booleans())
def test_any_change_anywhere_loads_or_gives_policy_config_error(site: Site, value: Any, delete: bool) -> None:
    def change(container: Any, key: Any) -> None:
        if delete:
            del container[key]
        else:
            container[key] = value

    data = mutated(site.keys, change)
    try:
        loaded = load_policies(data)
    except PolicyConfigError as exc:
        loaded, problem = None, exc
    if loaded is None:
        assert problem.reason
    else:
        assert isinstance(loaded, PolicySet | PolicyVersions)
        assert load_policies(dump_policies(loaded)) == loaded  # whatever loads, round-trips


@settings(max_examples=150, deadline=None)
@given(
    data=st.dictionaries(
        st.sampled_from(["version", "effective", "versions", "routing", "warranty", "fees", "junk"]),
        json_values,
        max_size=4,
    )
)
def test_any_top_level_mapping_loads_or_gives_policy_config_error(data: dict[str, Any]) -> None:
    try:
        load_policies(data)
    except PolicyConfigError as exc:
        problem: PolicyConfigError | None = exc
    else:
        problem = None
    assert problem is None or problem.reason


def test_parsed_json_numbers_are_exact_decimals() -> None:
    """Files are parsed with exact decimals: 980.50 in a file is ¥980.50, not a float."""
    data = copy.deepcopy(BASE)
    data["fees"]["part_prices"] = {"MTR-24": Decimal("980.50")}
    loaded = load_policies(data)
    assert isinstance(loaded, PolicySet)
    assert dump_policies(loaded)["fees"]["part_prices"] == {"MTR-24": "980.50"}
