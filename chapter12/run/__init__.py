"""The machinery that runs the chapter: the command line (`cli`) and `reproduce`, which executes the
notebooks with papermill and gathers what they measured."""
