"""The site's templates and stylesheet, kept as strings so the package needs no data files.

``CHAPTER`` extends nbconvert's ``lab`` cell markup (``base.html.j2``) but replaces its page
head and foot: one shared stylesheet instead of inlined CSS, and no require.js, MathJax, mermaid
or widget loader from a CDN. The widget manager is a local script, included only on pages that
have saved widget state.
"""

from __future__ import annotations

WIDGET_NOTE = "This control is live when the chapter runs in JupyterLab (make book)."
SAVED_WIDGET = (
    '<div class="pkiviz-widget">\n<p class="pkiviz-widget-note" role="note">{note}</p>\n'
    '<pre class="pkiviz-widget-saved">{text}</pre>\n</div>'
)

CHAPTER = (
    r"""{%- extends 'base.html.j2' -%}
{% from 'celltags.j2' import celltags %}
{% from 'cell_id_anchor.j2' import cell_id_anchor %}
{%- set site = resources.pkiviz -%}

{%- block header -%}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{{ site.title | e }} - pkiviz</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="static/book.css">
</head>
{%- endblock header -%}

{%- block body_header -%}
<body class="jp-Notebook pkiviz-page" data-jp-theme-light="true"
 data-jp-theme-name="JupyterLab Light">
{{ site.nav_top }}
<main>
{%- endblock body_header -%}

{% block body_footer %}
</main>
{{ site.nav_bottom }}
</body>
{% endblock body_footer %}

{% block footer %}
{{ super() }}
{%- if site.widgets %}
<script src="static/widgets/embed.js" data-jupyter-widgets-cdn="static/widgets/npm/"
 data-jupyter-widgets-cdn-only></script>
{%- endif %}
</html>
{% endblock footer %}

{% block markdowncell scoped %}
<div {{ cell_id_anchor(cell) }} class="jp-Cell jp-MarkdownCell jp-Notebook-cell">
<div class="jp-Cell-inputWrapper">
<div class="jp-InputArea jp-Cell-inputArea">
<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-MarkdownOutput {{ celltags(cell) }}"
 data-mime-type="text/markdown">
{{ cell.source | markdown2html | strip_files_prefix | pkiviz_links }}
</div>
</div>
</div>
</div>
{%- endblock markdowncell %}

{% block data_png scoped %}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<figure class="pkiviz-figure">
<img src="{{ output.metadata.filenames['image/png'] | posix_path | escape_html }}"
 alt="{{ output.metadata['pkiviz-site'].alt | escape_html }}">
</figure>
</div>
{%- endblock data_png %}

{#- Only views whose model is in the saved state get here; build.py turns the others into
    text/html: the same note above the control's text representation. -#}
{%- block data_widget_view scoped %}
<div class="pkiviz-widget jp-OutputArea-output {{ extra_class }}">
<p class="pkiviz-widget-note" role="note">"""
    + WIDGET_NOTE
    + r"""</p>
<div class="jupyter-widgets">
<script type="application/vnd.jupyter.widget-view+json">
{{ output.data['application/vnd.jupyter.widget-view+json'] | json_dumps | escape_html_script }}
</script>
</div>
</div>
{%- endblock data_widget_view -%}

{#- Proof cells and Deeper sections (pkiviz.book.parts) fold into closed <details>; build.py
    marks the cells in metadata["pkiviz-parts"]. -#}
{% block any_cell scoped %}
{%- set parts = cell.metadata.get('pkiviz-parts', {}) -%}
{%- if parts.get('open_deeper') %}
<details class="pkiviz-deeper"><summary>{{ parts['open_deeper'] | e }}</summary>
{%- endif -%}
{%- if parts.get('proof') %}
<details class="pkiviz-proof"><summary>Proof: {{ parts['proof'] | e }}</summary>
{%- endif -%}
{{ super() }}
{%- if parts.get('proof') %}
</details>
{%- endif -%}
{%- for _ in range(parts.get('close_deeper', 0)) %}
</details>
{%- endfor -%}
{% endblock any_cell %}
"""
)

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{{ title }} - pkiviz</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="static/book.css">
</head>
<body class="pkiviz-page">
{{ nav | safe }}
<main class="jp-RenderedHTMLCommon pkiviz-plain">
{% block content %}{% endblock %}
</main>
</body>
</html>
"""

INDEX = """{% extends "page" %}
{% block content %}
<h1>pkiviz: HTTPS and mutual TLS, one certificate at a time</h1>
<p>An interactive textbook. This is its static copy: every chapter as it last ran, readable
without a network. To run the cells and move the controls, open the book in JupyterLab
with <code>make book</code>.</p>
<h2>Contents</h2>
<ol class="pkiviz-contents">
{%- for chapter in chapters %}
<li value="{{ chapter.number }}"><a href="{{ chapter.href }}">{{ chapter.title }}</a></li>
{%- endfor %}
</ol>
<p><a href="glossary.html">Glossary</a> of the terms the chapters use.</p>
{% endblock %}
"""

GLOSSARY = """{% extends "page" %}
{% block content %}
<h1>Glossary</h1>
<dl class="pkiviz-glossary">
{%- for term, chapters in entries %}
<dt id="{{ term.slug }}">{{ term.term }}
{%- if term.forms %} <span class="pkiviz-forms">({{ term.forms | join(", ") }})</span>
{%- endif %}</dt>
<dd>{{ term.definition }}
{%- if chapters %} <span class="pkiviz-seen">In:
{%- for chapter in chapters %} <a href="{{ chapter.href }}">{{ chapter.short }}</a>
{%- if not loop.last %},{% endif %}{% endfor %}.</span>{% endif %}</dd>
{%- endfor %}
</dl>
{% endblock %}
"""

SITE_CSS = """
/* pkiviz site */
body.pkiviz-page { max-width: 1100px; margin: 0 auto; padding: 0 1rem 2rem; }
body.pkiviz-page > main { padding: 0; }
.pkiviz-nav { display: flex; justify-content: space-between; align-items: baseline; gap: 1rem;
  padding: 0.6rem 0; border-bottom: 1px solid #ddd; font-family: var(--jp-ui-font-family,
  sans-serif); font-size: 14px; }
.pkiviz-nav:last-of-type { border-top: 1px solid #ddd; border-bottom: none; margin-top: 2rem; }
.pkiviz-nav a { text-decoration: none; color: #1a5fb4; }
.pkiviz-nav a:hover { text-decoration: underline; }
.pkiviz-nav .pkiviz-next { text-align: right; }
.pkiviz-nav .pkiviz-disabled { visibility: hidden; }
.jp-RenderedHTMLCommon a.pkiviz-term { color: inherit; text-decoration: underline dotted; }
a.anchor-link { visibility: hidden; text-decoration: none; margin-left: 0.3em; }
:is(h1, h2, h3, h4, h5, h6):hover > a.anchor-link { visibility: visible; }
.jp-Collapser { display: none; }
.jp-InputArea, .jp-InputArea-editor { overflow: hidden; }
.cm-editor.cm-s-jupyter .highlight pre { padding: var(--jp-code-padding) 4px; margin: 0;
  font-family: inherit; font-size: inherit; line-height: inherit; color: inherit; }
.jp-OutputArea-output pre { line-height: inherit; font-family: inherit; }
.jp-RenderedText pre { color: var(--jp-content-font-color1); font-size: var(--jp-code-font-size); }
@media print { .pkiviz-nav { display: none; } }
.pkiviz-figure { margin: 0; }
.pkiviz-widget { border-left: 3px solid #1a5fb4; padding-left: 0.75rem;
  font-family: var(--jp-ui-font-family); font-size: var(--jp-ui-font-size1); }
.pkiviz-widget-note { font-style: italic; color: #555; margin: 0.25rem 0; }
.pkiviz-plain { font-size: 15px; line-height: 1.5; }
.pkiviz-glossary dt { font-weight: bold; margin-top: 0.8rem; }
.pkiviz-glossary .pkiviz-forms { font-weight: normal; color: #555; }
.pkiviz-glossary .pkiviz-seen { color: #555; }
.pkiviz-contents { list-style: none; padding-left: 0; }
.pkiviz-contents li { margin: 0.3rem 0; }
details.pkiviz-deeper { border-left: 3px solid #8aa; margin: 0.8rem 0;
  padding: 0.2rem 0 0.2rem 0.8rem; }
details.pkiviz-deeper > summary { cursor: pointer; font-weight: bold; color: #245; }
details.pkiviz-proof { margin: 0.3rem 0; }
details.pkiviz-proof > summary { cursor: pointer; color: #555; font-size: 90%; }
"""
