"""What the AWS::LanguageExtensions transform does to this project's template, done here:
for the local stack (which then runs SAM's translator as CloudFormation would) and for
`make deploy RESOLVED=1` (CloudFormation implementations, emulators among them, that do not
run that transform).

The result is a template with nothing left to decide: every condition evaluated, every
Fn::If branch chosen, the resources and outputs whose condition is false dropped (not kept
with their properties resolved away, which no linter or CloudFormation accepts), and
environment variables written as the strings Lambda passes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from samcli.lib.cfn_language_extensions.api import IntrinsicResolverProcessor
from samcli.lib.cfn_language_extensions.models import TemplateProcessingContext
from samcli.lib.cfn_language_extensions.pipeline import ProcessingPipeline
from samcli.lib.cfn_language_extensions.processors import TemplateParsingProcessor
from samcli.lib.cfn_language_extensions.resolvers import (
    ConditionResolver,
    FnIfResolver,
    FnRefResolver,
    IntrinsicResolver,
)

_FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


def resolve_conditions(template: dict[str, Any], parameters: Mapping[str, str]) -> dict[str, Any]:
    """What the AWS::LanguageExtensions transform does to this project's templates: conditions
    evaluated and Fn::If branches chosen, so that SAM sees plain values. Then the SAM transform
    alone remains, as when CloudFormation runs it.

    Only the condition, Fn::If and Ref resolvers of SAM CLI's implementation are used: its
    others flatten a partly resolvable Fn::Sub into a bare string with ${...} left in it.
    """
    transforms = template.get("Transform")
    declared = [transforms] if isinstance(transforms, str) else list(transforms or [])
    result = copy.deepcopy(template)
    _join_list_parameters(result.get("Conditions") or {}, template, parameters)
    if "AWS::LanguageExtensions" in declared:
        context = TemplateProcessingContext(fragment=result, parameter_values=dict(parameters))
        resolver = IntrinsicResolver(context)
        resolver.register_resolver(ConditionResolver)
        resolver.register_resolver(FnIfResolver)
        resolver.register_resolver(FnRefResolver)  # conditions compare parameter values
        pipeline = ProcessingPipeline(
            [TemplateParsingProcessor(), IntrinsicResolverProcessor(resolver)]
        )
        result = pipeline.process_template(context)
        _drop_disabled(result)
        _environment_as_strings(result)
    result["Transform"] = "AWS::Serverless-2016-10-31"
    return result


def condition_holds(condition: Any, conditions: Mapping[str, Any]) -> bool:
    """A resolved condition's value: its parameters already replaced by their values."""
    if not isinstance(condition, dict) or len(condition) != 1:
        raise ValueError(f"not a resolved condition: {condition!r}")
    ((function, argument),) = condition.items()
    if function == "Condition":
        return condition_holds(conditions[argument], conditions)
    if function == "Fn::Equals":
        left, right = argument
        return str(left) == str(right)
    if function == "Fn::Not":
        return not condition_holds(argument[0], conditions)
    if function == "Fn::And":
        return all(condition_holds(c, conditions) for c in argument)
    if function == "Fn::Or":
        return any(condition_holds(c, conditions) for c in argument)
    raise ValueError(f"unknown condition function {function}")


def _drop_disabled(template: dict[str, Any]) -> None:
    """Resources and outputs whose condition is false go; the rest lose their condition, and
    the template its Conditions, since nothing is left to decide."""
    conditions = template.pop("Conditions", None) or {}
    for section in ("Resources", "Outputs"):
        entries: dict[str, Any] = template.get(section) or {}
        for name, entry in list(entries.items()):
            condition = entry.pop("Condition", None)
            if condition is not None and not condition_holds({"Condition": condition}, conditions):
                del entries[name]
    kept = set(template.get("Resources") or {})
    for resource in (template.get("Resources") or {}).values():
        depends = resource.get("DependsOn")
        if isinstance(depends, str):
            depends = [depends]
        if depends is not None:
            resource["DependsOn"] = [d for d in depends if d in kept]
            if not resource["DependsOn"]:
                del resource["DependsOn"]


def _environment_as_strings(template: dict[str, Any]) -> None:
    """A Number parameter resolves to a number, but an environment variable's value is a
    string (CloudFormation converts a Ref's value; some implementations pass the number on,
    and the runtime then fails before the handler starts)."""
    function_globals = ((template.get("Globals") or {}).get("Function")) or {}
    properties = [function_globals] + [
        resource.get("Properties") or {}
        for resource in (template.get("Resources") or {}).values()
        if resource.get("Type") in _FUNCTION_TYPES
    ]
    for props in properties:
        variables = (props.get("Environment") or {}).get("Variables") or {}
        for name, value in variables.items():
            if isinstance(value, bool):
                variables[name] = "true" if value else "false"
            elif isinstance(value, int | float):
                variables[name] = str(value)


def _join_list_parameters(
    value: Any, template: Mapping[str, Any], parameters: Mapping[str, str]
) -> Any:
    """In conditions, `Fn::Join` of a CommaDelimitedList parameter (the usual test of an
    empty list) becomes the joined value, as CloudFormation evaluates it. SAM CLI's Join
    resolver would also flatten joins it cannot resolve elsewhere in the template."""
    declared = template.get("Parameters") or {}
    if isinstance(value, list):
        for n, item in enumerate(value):
            value[n] = _join_list_parameters(item, template, parameters)
        return value
    if not isinstance(value, dict):
        return value
    join = value.get("Fn::Join")
    if len(value) == 1 and isinstance(join, list) and len(join) == 2:  # noqa: PLR2004
        separator, items = join
        name = str(items.get("Ref")) if isinstance(items, dict) else ""
        if (declared.get(name) or {}).get("Type") == "CommaDelimitedList":
            raw = parameters.get(name, str(declared[name].get("Default", "")))
            return str(separator).join(v.strip() for v in str(raw).split(","))
    for key, item in value.items():
        value[key] = _join_list_parameters(item, template, parameters)
    return value
