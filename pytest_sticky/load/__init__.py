"""``sticky_load``: many browsers at once while the app is rolled out, scaled or killed.

- ``spec``: the bounded, validated parameters of a run;
- ``browsers``: the concurrent browsers (aiohttp, one cookie jar and connection each);
- ``actions``: what happens to the app meanwhile (rolling restart, scale, kill);
- ``result``: every request, and per browser its errors, re-pins and session continuity;
- ``timeline``: the run as a picture (SVG, Mermaid, terminal rows);
- ``run``: the standalone helper that ties them together.
"""
