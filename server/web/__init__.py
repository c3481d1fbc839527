"""Server-rendered pages (Jinja2 templates and a little vanilla JS, no build step)."""
