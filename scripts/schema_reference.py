"""The docs site's schema reference, written from `schema.graphql` (never by hand): the root
operations with their arguments, then every type, each under an anchor of its own name, so
that a type in a field's signature links to it.

    python -m scripts.schema_reference [schema.graphql]   # the Markdown, to stdout
"""

from __future__ import annotations

import sys
from pathlib import Path

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLType,
    GraphQLUnionType,
    build_schema,
    get_named_type,
    is_list_type,
    is_non_null_type,
    print_ast,
)

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schema.graphql"
ROOTS = (("Query", "Queries"), ("Mutation", "Mutations"), ("Subscription", "Subscriptions"))


def anchor(name: str) -> str:
    return name.lower()


def signature(type_: GraphQLType) -> str:
    """`[LabelScore!]!` with the named type linked to its section (brackets escaped)."""
    if is_non_null_type(type_):
        return signature(type_.of_type) + "!"
    if is_list_type(type_):
        return "\\[" + signature(type_.of_type) + "\\]"
    name = get_named_type(type_).name
    return f"[`{name}`](#{anchor(name)})"


def cell(text: str | None) -> str:
    """A description as one table cell: one line, no column breaks."""
    return " ".join((text or "").split()).replace("|", "\\|")


def default(argument: GraphQLArgument | GraphQLInputField) -> str:
    """The default as schema.graphql writes it (` = false`), or nothing."""
    node = argument.ast_node
    if node is None or node.default_value is None:
        return ""
    return f" = `{print_ast(node.default_value)}`"


def arguments_table(args: dict[str, GraphQLArgument]) -> list[str]:
    rows = ["| Argument | Type | Description |", "|---|---|---|"]
    rows += [
        f"| `{name}` | {signature(arg.type)}{default(arg)} | {cell(arg.description)} |"
        for name, arg in args.items()
    ]
    return rows


def root_field(name: str, field: GraphQLField) -> list[str]:
    lines = [f"### `{name}` {{#{anchor(name)}-field}}", ""]
    lines += [f"Returns {signature(field.type)}.", ""]
    if field.description:
        lines += [field.description.strip(), ""]
    if field.deprecation_reason:
        lines += [f"*Deprecated:* {field.deprecation_reason}", ""]
    if field.args:
        lines += [*arguments_table(field.args), ""]
    return lines


def fields_table(fields: dict[str, GraphQLField] | dict[str, GraphQLInputField]) -> list[str]:
    rows = ["| Field | Type | Description |", "|---|---|---|"]
    for name, field in fields.items():
        shown, text = f"`{name}`", cell(field.description)
        args = field.args if isinstance(field, GraphQLField) else {}
        if args:
            shown += " (" + ", ".join(f"`{a}`" for a in args) + ")"
            text += "".join(
                f"<br>`{a}`: {signature(arg.type)}{default(arg)} {cell(arg.description)}".rstrip()
                for a, arg in args.items()
            )
        extra = default(field) if isinstance(field, GraphQLInputField) else ""
        rows.append(f"| {shown} | {signature(field.type)}{extra} | {text.strip()} |")
    return rows


def named_type(type_: GraphQLNamedType) -> list[str]:
    kinds = {
        GraphQLObjectType: "object",
        GraphQLInputObjectType: "input",
        GraphQLEnumType: "enum",
        GraphQLScalarType: "scalar",
        GraphQLUnionType: "union",
    }
    kind = next((k for cls, k in kinds.items() if isinstance(type_, cls)), "type")
    lines = [f"### `{type_.name}` {{#{anchor(type_.name)}}}", "", f"*{kind}*", ""]
    if type_.description:
        lines += [type_.description.strip(), ""]
    if isinstance(type_, GraphQLObjectType | GraphQLInputObjectType):
        lines += [*fields_table(type_.fields), ""]
    elif isinstance(type_, GraphQLEnumType):
        lines += ["| Value | Description |", "|---|---|"]
        lines += [f"| `{n}` | {cell(v.description)} |" for n, v in type_.values.items()]
        lines.append("")
    elif isinstance(type_, GraphQLUnionType):
        lines += ["One of " + ", ".join(signature(t) for t in type_.types) + ".", ""]
    return lines


def reference(schema: GraphQLSchema) -> str:
    lines: list[str] = []
    for root_name, title in ROOTS:
        root = schema.get_type(root_name)
        if not isinstance(root, GraphQLObjectType):
            continue
        lines += [f"## {title}", ""]
        for name, field in root.fields.items():
            lines += root_field(name, field)
    lines += ["## Types", ""]
    roots = {name for name, _ in ROOTS}
    for name in sorted(schema.type_map):
        if name.startswith("__") or name in roots:
            continue
        type_ = schema.type_map[name]
        if isinstance(type_, GraphQLScalarType) and type_.ast_node is None:
            continue  # String, Int, ...: GraphQL's own, unless the file declares one
        lines += named_type(type_)
    return "\n".join(lines).rstrip() + "\n"


def built_in_scalars(schema: GraphQLSchema) -> list[str]:
    """Scalars the reference links to without a section of their own."""
    return sorted(
        name
        for name, t in schema.type_map.items()
        if isinstance(t, GraphQLScalarType) and t.ast_node is None and not name.startswith("__")
    )


def markdown(path: Path = SCHEMA) -> str:
    schema = build_schema(path.read_text())
    standard = built_in_scalars(schema)
    scalars = "".join(
        f"### `{name}` {{#{anchor(name)}}}\n\n*scalar*, GraphQL's own.\n\n" for name in standard
    )
    return reference(schema) + "\n" + scalars


if __name__ == "__main__":
    sys.stdout.write(markdown(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA))
