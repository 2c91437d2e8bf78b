"""Article bodies render as safe HTML (issue 12, §11): script injection renders inert."""

import pytest

from knowledge.markdown import render_markdown


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src='https://example.com'></iframe>",
    ],
)
def test_script_injection_in_an_article_renders_inert(attack):
    html = str(render_markdown(f"Intro\n\n{attack}\n"))
    assert "<script" not in html
    assert "<img" not in html
    assert "<iframe" not in html
    assert '<a href="javascript:' not in html


def test_markdown_formatting_survives_sanitising():
    html = str(render_markdown("# Title\n\n**bold** and [DIP](https://example.com/dip)\n"))
    assert "<h2>Title</h2>" in html  # the page's own title is the only h1
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.com/dip"' in html
    assert 'rel="noopener noreferrer"' in html
