// The training script a Hugging Face Job runs (and that the own-GPU bundle carries): TRL's
// SFTTrainer with a LoRA adapter over the bundle's chat files, pushed to the Hub when done.
// `uv run train_sft.py …` installs what its PEP 723 header lists.

export const TRL_SCRIPT_NAME = 'train_sft.py';

export const TRL_SFT_SCRIPT = `# /// script
# requires-python = ">=3.10"
# dependencies = ["trl>=0.19", "peft>=0.15", "datasets>=3", "transformers>=4.52", "accelerate>=1.7"]
# ///
"""Supervised fine-tuning with a LoRA adapter on a Winnow dataset's chat files.

  uv run train_sft.py --train train.jsonl [--val val.jsonl] --base-model Qwen/Qwen2.5-0.5B-Instruct \\
      --hub-model-id you/your-student [--epochs 3] [--learning-rate 2e-4] [--lora-rank 16] [--max-length 1024]

Each line of the files is {"messages": [...]}, as Winnow exports them. The trained adapter is
pushed to --hub-model-id (HF_TOKEN must be able to write there); serve it with vLLM
(--enable-lora) or an Inference Endpoint, and register that URL in Winnow.
"""
import argparse

from datasets import load_dataset
from peft import LoraConfig
from trl import SFTConfig, SFTTrainer

parser = argparse.ArgumentParser()
parser.add_argument("--train", required=True)
parser.add_argument("--val")
parser.add_argument("--base-model", required=True)
parser.add_argument("--hub-model-id", required=True)
parser.add_argument("--epochs", type=float, default=3)
parser.add_argument("--learning-rate", type=float, default=2e-4)
parser.add_argument("--lora-rank", type=int, default=16)
parser.add_argument("--batch-size", type=int, default=4)
parser.add_argument("--max-length", type=int, default=1024, help="tokens; longer examples are cut")
args = parser.parse_args()

files = {"train": args.train, **({"validation": args.val} if args.val else {})}
data = load_dataset("json", data_files=files)
trainer = SFTTrainer(
    model=args.base_model,
    train_dataset=data["train"],
    eval_dataset=data.get("validation"),
    peft_config=LoraConfig(r=args.lora_rank, lora_alpha=2 * args.lora_rank, target_modules="all-linear"),
    args=SFTConfig(
        output_dir="student",
        num_train_epochs=args.epochs,
        learning_rate=args.learning_rate,
        per_device_train_batch_size=args.batch_size,
        max_length=args.max_length,
        eval_strategy="epoch" if args.val else "no",
        push_to_hub=True,
        hub_model_id=args.hub_model_id,
        hub_private_repo=True,
        report_to="none",
    ),
)
trainer.train()
trainer.push_to_hub()
print(f"Pushed the adapter to https://huggingface.co/{args.hub_model_id}")
`;
