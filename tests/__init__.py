"""pytest-sticky's own tests (the plugin driven through ``pytester``)."""
