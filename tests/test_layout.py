"""The shape of the code: which module may import which (read from the source, function-level imports included)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module `path` imports anywhere in its body, as absolute dotted names."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)  # `from . import x` names a module
    return found


def project_graph() -> dict[str, set[str]]:
    files = [*sorted((ROOT / "rag").rglob("*.py")), ROOT / "app.py"]
    modules = {_module_name(f): f for f in files}
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_among_project_modules():
    assert cycles(project_graph()) == []


def test_the_product_does_not_import_the_ui_and_the_ui_does_not_import_the_cli():
    graph = project_graph()
    web = {m for m in graph if m == "rag.web" or m.startswith("rag.web.")}
    for module, imported in graph.items():
        if module.startswith("rag") and module not in web:
            assert not imported & web, (module, imported & web)
    for module in web | {"app"}:
        assert not graph[module] & {"rag.cli", "rag.bench", "rag.webbench"}, module


def test_only_app_py_imports_gradio():
    for path in sorted((ROOT / "rag").rglob("*.py")):
        assert not {m for m in _imports(path) if m.split(".")[0] == "gradio"}, path


# ---------------------------------------------------------------- the question is read once

QUESTION_TEXTS = {"text", "asked", "topic"}


def _reads_question_text(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr in QUESTION_TEXTS and isinstance(n.value, ast.Name)
               and n.value.id == "question" for n in ast.walk(node))


def question_text_matches(source: str) -> list[int]:
    """Lines where `source` reads the question's text (`question.text`, `.asked`, `.topic`) again: a call
    given it (a regex, a helper that parses it) — only an `Answer` may carry it as it is —, or a word
    looked up in it (`"…" in question.text`)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id == "Answer") \
                and any(_reads_question_text(a) for a in [*node.args, *(k.value for k in node.keywords)]):
            lines.append(node.lineno)
        elif isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops) \
                and any(_reads_question_text(c) for c in node.comparators):
            lines.append(node.lineno)
    return lines


def test_the_checker_sees_a_question_read_again():
    assert question_text_matches("import re\nre.search(r'最晚', question.text)\n") == [2]
    assert question_text_matches("ORDER.search(question.topic[:3])\n") == [1]
    assert question_text_matches("x = '多少' in question.asked\n") == [1]
    assert question_text_matches("nth = _ordinal(question.text)\n") == [1]
    assert question_text_matches("ORDER.search(plan.text)\nquestion.order == 'latest'\n") == []
    assert question_text_matches("Answer(question.asked, text, understood=question.text)\n") == []


def test_no_answerer_reads_the_question_text_again():
    """Everything an answerer needs from the question is a field of `Question` (rag.question reads it
    once): no module under rag/answer/ matches a pattern against the question's text."""
    found = {path.name: lines for path in sorted((ROOT / "rag" / "answer").glob("*.py"))
             if (lines := question_text_matches(path.read_text(encoding="utf-8")))}
    assert found == {}


def test_the_grammar_package_stands_alone_and_both_sides_read_it():
    """rag.zh (the grammar of policy Chinese) imports nothing else of the project; extraction and the
    question stage both import it, and the question stage never reads grammar out of extraction."""
    graph = project_graph()
    grammar = {name for name in graph if name == "rag.zh" or name.startswith("rag.zh.")}
    assert grammar and all(graph[name] <= grammar for name in grammar)
    assert {"rag.zh.periods", "rag.zh.units"} <= graph["rag.targets"]
    assert "rag.zh.periods" in graph["rag.question"] and "rag.zh.asking" in graph["rag.question"]
    # the question stage takes no pattern from extraction (the Target type of a bound's annotation aside)
    taken = {m for path in sorted((ROOT / "rag" / "question").glob("*.py")) for m in _imports(path) if m.startswith("rag.targets.")}
    assert taken <= {"rag.targets.Target"}
