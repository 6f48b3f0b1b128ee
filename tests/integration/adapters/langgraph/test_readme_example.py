"""The README's LangGraph example runs as written and prints what its comments say."""

import contextlib
import io
from pathlib import Path

README = (Path(__file__).parents[4] / "README.md").read_text()
SECTION = README.split("## LangGraph and LangChain", 1)[1].split("\n## ", 1)[0]
EXAMPLE = SECTION.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_example_records_the_run_and_lists_the_history() -> None:
    """Executed, the example prints the run's types and the five checkpoint steps."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(EXAMPLE, "README.md", "exec"), {"__name__": "readme"})

    lines = printed.getvalue().splitlines()
    assert lines[:2] == ["task.requested", "task.started"]
    assert lines[-2:] == ["task.completed", "[3, 2, 1, 0, -1]"]
    assert "tool.call.completed" in lines
