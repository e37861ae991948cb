"""One exception root: every error class of the package is a WorkbenchError and keeps the builtin base it had."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import workbench
from workbench.errors import InputError, MissingInputError, WorkbenchError


def _exception_classes() -> dict[str, type[BaseException]]:
    found = {}
    for info in pkgutil.walk_packages(workbench.__path__, "workbench."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == info.name:
                found[f"{info.name}.{value.__qualname__}"] = value
    return found


def test_every_exception_class_of_the_package_derives_from_workbench_error():
    classes = _exception_classes()
    assert {"workbench.sql.guard.UnsafeSQLError", "workbench.models.ModelError",
            "workbench.resilience.CircuitOpenError", "workbench.errors.InputError"} <= set(classes)
    assert sorted(name for name, cls in classes.items() if not issubclass(cls, WorkbenchError)) == []


@pytest.mark.parametrize(("module", "name", "builtin"), [
    ("workbench.sql.guard", "UnsafeSQLError", ValueError),
    ("workbench.sql.guard", "SQLSyntaxError", ValueError),
    ("workbench.sql.database", "QueryError", RuntimeError),
    ("workbench.supervisor.supervisor", "SessionNotFoundError", KeyError),
    ("workbench.supervisor.planning", "PlanError", ValueError),
    ("workbench.programs.compiled", "CompiledProgramError", ValueError),
    ("workbench.resilience", "TransientError", RuntimeError),
    ("workbench.resilience", "CircuitOpenError", RuntimeError),
    ("workbench.models", "ModelError", RuntimeError),
    ("workbench.errors", "InputError", ValueError),
    ("workbench.errors", "MissingInputError", FileNotFoundError),
])
def test_code_catching_the_builtin_base_still_catches_the_error(module, name, builtin):
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, WorkbenchError) and issubclass(cls, builtin)


def test_bad_input_is_refused_with_a_workbench_error_that_names_it(tmp_path):
    from workbench.evaluation.spider import load_questions
    from workbench.experiments.spec import load_spec

    with pytest.raises(MissingInputError, match=r"nope\.json") as missing:
        load_questions(tmp_path / "nope.json")
    assert isinstance(missing.value, FileNotFoundError)
    spec = tmp_path / "grid.yaml"
    spec.write_text("name: grid\ntext2sql: {variants: [predict, shouty]}\n")
    with pytest.raises(InputError, match=r"grid\.yaml: text2sql\.variants: Unknown text2sql variant 'shouty'"):
        load_spec(spec)
