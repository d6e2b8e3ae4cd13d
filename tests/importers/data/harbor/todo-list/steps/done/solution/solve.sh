#!/bin/bash
cp /solution/todo.py /workspace/todo/todo.py
