"""The Qt views and controllers: the only package that imports Qt."""
