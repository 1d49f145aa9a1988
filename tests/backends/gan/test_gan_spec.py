"""The generator node: its schema, the template, and clear messages for bad input."""

from __future__ import annotations

import numpy as np
import pytest
from gan_helpers import FAST, generator_graph, mixed_table

from backends.gan import engine
from backends.gan.spec import gan_spec_from_graph, generator_problems
from backends.gan.templates import gan
from backends.graph.model import Graph, Node
from backends.runtime import ColumnTable, EngineError


def test_template_builds_one_generator_node_over_the_columns():
    table = mixed_table(50)
    graph = gan(table, inputs=["colour", "size"])
    (node,) = graph.nodes.values()
    assert node.kind == "generator" and node.columns == ["colour", "size"]
    spec = gan_spec_from_graph(graph, table)
    assert spec.columns == ("colour", "size") and not spec.conditional
    assert spec.objective == "ns-sn" and spec.latent_size == 64


def test_an_image_generator_has_its_own_defaults():
    graph = Graph()
    graph.add_node(Node(name="digits", kind="generator", options={"image": {"source": "digits"}}))
    spec = gan_spec_from_graph(graph, ColumnTable({}, {}))
    assert spec.latent_size == 32 and spec.hidden == (64,) and spec.critic_hidden == (64,)


def test_template_with_a_target_is_a_conditional_gan():
    table = mixed_table(50)
    spec = gan_spec_from_graph(gan(table, target="size", inputs=["colour", "count"]), table)
    assert spec.columns == ("size",) and spec.conditions == ("colour", "count")
    assert spec.target == "size"


def test_spec_round_trips_through_json():
    table = mixed_table(50)
    spec = gan_spec_from_graph(gan(table, target="size", inputs=["colour"]), table)
    assert type(spec).from_dict(spec.to_dict()) == spec


def _problems(table: ColumnTable, **options) -> list[str]:
    graph = generator_graph(table, **options)
    return [p.describe(graph) for p in generator_problems(graph, table)]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"columns": ["nope"]}, "generator.columns: column 'nope' is not in the table"),
        ({"columns": []}, "choose at least one column"),
        ({"latent_size": 0}, "options.latent_size: must be a whole number from 1 to 1024"),
        ({"hidden": [64, "wide"]}, "options.hidden: must be a list of 1 to 8 layer widths"),
        ({"objective": "magic"}, "options.objective: objective 'magic' is not one of"),
        ({"conditions": ["size"]}, "column 'size' cannot be both generated and a condition"),
        ({"target": "nope"}, "options.target: the target 'nope' is not one of the generated"),
        ({"laten_size": 8}, "options.laten_size: unknown option"),
        ({"image": {"source": "webcam"}}, "options.image.source: image source 'webcam'"),
    ],
)
def test_bad_node_settings_name_the_node_and_field(options, expected):
    problems = _problems(mixed_table(50), **options)
    assert any(expected in p for p in problems), problems


def test_nan_and_single_value_columns_are_named_with_the_row():
    table = mixed_table(50)
    size = table["size"].copy()
    size[7] = np.nan
    bad = ColumnTable(
        {**table.columns, "size": size, "same": np.full(50, 2.0)},
        {**table.types, "same": "numeric"},
    )
    problems = _problems(bad, columns=["size", "same", "colour"])
    assert any("column 'size' has 1 missing values (first at row 8)" in p for p in problems)
    assert any("column 'same' has only one value" in p for p in problems)
    with pytest.raises(EngineError, match="first at row 8"):
        engine.run(generator_graph(bad, columns=["size"]), bad, FAST, device="cpu")


def test_missing_category_and_text_columns_are_refused():
    table = mixed_table(50)
    colour = table["colour"].copy()
    colour[3] = None
    bad = ColumnTable(
        {**table.columns, "colour": colour, "note": np.array(["x"] * 50, object)},
        {**table.types, "note": "text"},
    )
    problems = _problems(bad, columns=["colour", "note"])
    assert any("'colour' has 1 missing values (first at row 4)" in p for p in problems)
    assert any("column 'note' is text" in p for p in problems)


def test_a_graph_without_or_with_two_generators_is_refused():
    table = mixed_table(50)
    with pytest.raises(EngineError, match="needs a generator node"):
        gan_spec_from_graph(Graph(), table)
    graph = gan(table, inputs=["size"])
    graph.add_node(Node(name="second", kind="generator", columns=["size"]))
    with pytest.raises(EngineError, match="only one generator node"):
        gan_spec_from_graph(graph, table)


def test_unknown_setting_is_refused():
    table = mixed_table(300)
    with pytest.raises(EngineError, match="unknown setting 'step'"):
        engine.run(generator_graph(table), table, {"step": 3}, device="cpu")


def test_engine_is_registered_and_quick_settings_are_valid():
    from backends.engines import engine_module, suggest_engine
    from backends.runtime import apply_settings

    module = engine_module("gan")
    assert module is engine and suggest_engine(gan(mixed_table(20), inputs=["size"])) == "gan"
    values = apply_settings(engine.SETTINGS, engine.QUICK_SETTINGS)
    assert values["steps"] == 300 and values["batch_size"] == 128


def test_template_group_becomes_a_condition():
    table = mixed_table(50)
    spec = gan_spec_from_graph(gan(table, inputs=["size", "count"], group="colour"), table)
    assert spec.columns == ("size", "count") and spec.conditions == ("colour",)
    spec = gan_spec_from_graph(gan(table, target="size", inputs=["colour"], group="colour"), table)
    assert spec.conditions == ("colour",)


def test_a_level_seen_only_in_held_out_rows_is_named_by_the_users_row():
    from backends.gan.encoding import TableEncoder
    from backends.gan.tabular import split_rows

    n = 200
    train, hold = split_rows(n, 0.2, 2000, 32, 0)
    colour = np.array(["a"] * n, dtype=object)
    colour[hold[3]] = "z"  # a level that only a held-out row has
    table = ColumnTable(
        {"c": colour, "x": np.arange(n, dtype=float)}, {"c": "categorical", "x": "numeric"}
    )
    encoder = TableEncoder.fit(table.take(train), ["c", "x"], 0)
    with pytest.raises(EngineError, match=rf"column 'c', row {hold[3] + 1}: 'z' is not one"):
        encoder.encode(table.take(hold), 1)
