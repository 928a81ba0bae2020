"""The TUI process never imports the heavy ML libraries, even after visiting every screen."""

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import asyncio, json, sys
    from screens.app import WorkbenchApp, PROJECT_SCREENS
    from workbench.settings import load_settings

    async def main():
        app = WorkbenchApp(load_settings())
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            project = app.store.list_projects()[0]
            for name in PROJECT_SCREENS:
                app.open_project_screen(name, project)
                await pilot.pause()  # mounted: its on_mount ran and started its workers
                await app.workers.wait_for_complete()
                await pilot.pause()
                while len(app.screen_stack) > 1:
                    app.pop_screen()
                    await pilot.pause()
    asyncio.run(main())
    # markitdown (and the onnxruntime it loads) convert documents in a child process only
    heavy = ["torch", "transformers", "lighteval", "distilabel", "argilla", "datasets", "vllm",
             "llama_cpp", "markitdown", "onnxruntime"]
    print(json.dumps([m for m in heavy if m in sys.modules]))
""")


def test_tui_process_has_no_heavy_imports(wb_home):
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
