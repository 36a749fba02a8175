"""`python -m bench`: Parlour's performance budget, measured against a real `parlour serve`.

The server runs as its own process, exactly as an operator starts it; the load comes from
separate worker processes speaking the wire protocol over loopback. See docs/performance.md.
"""
