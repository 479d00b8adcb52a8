"""The Python API: the layer classes (torch and Keras doors) and the render verbs."""
