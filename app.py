"""Earmark's Streamlit app: `streamlit run app.py`.

The module defines `app`, an `st.App` that serves the media route beside the
pages; Streamlit's runner finds it and runs this same file as the page script.
"""

import streamlit as st

from earmark.web.routes import routes

app = st.App(__file__, routes=routes())

if __name__ == "__main__":
    from earmark.web.main import run

    run()
