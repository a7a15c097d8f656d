"""Earmark's Streamlit app: `streamlit run app.py`.

The module defines `app`, an `st.App` that serves the media routes beside the
pages; Streamlit's runner finds it and runs this same file as the page script.
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from earmark.web.cli_route import bridge_lifespan
from earmark.web.routes import routes

# The pages are declared with st.navigation (earmark/web/main.py). Without
# this, the mere presence of pages/ makes Streamlit serve a URL such as
# /review by running pages/review.py alone on a fresh session: old-style
# navigation, and no access-code check.
PagesManager.uses_pages_directory = False

# The lifespan opens the database at start and leaves its address beside it,
# so that `python -m earmark` can run its commands here (earmark/cli/bridge.py).
app = st.App(__file__, routes=routes(), lifespan=bridge_lifespan)

if __name__ == "__main__":
    from earmark.web.main import run

    run()
